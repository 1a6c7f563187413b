export { writeFileAtomic } from "./atomic-file";
export { appendFileNoFollow, openAppendNoFollow, readFileNoFollow } from "./safe-files";
