/** A source tree to build: the working tree of `sourceDir`, or a git ref of it. */
export interface BuildRequest {
  sourceDir: string;
  ref?: string;
  /** The commit the tree is known to come from (null: none, as for an uploaded tree); default: asked of git. */
  gitSha?: string | null;
  /** argv run in the build; default: `npm ci` when there is a lockfile. */
  command?: string[];
  /** Long work shows progress: called with each step's one-line summary. */
  progress: (message: string) => void;
}

/** A build: content-addressed (its id is the hash of the source tree), never changed once ready. */
export interface BuildArtifact {
  id: string;
  /** Where the target finds it: a directory locally, an image reference elsewhere. */
  location: string;
  gitSha: string | null;
  /** "working tree" or the ref built. */
  source: string;
  /** Built before: nothing was run this time. */
  cached: boolean;
  /** The build's output, for a failed build's error. */
  output: string;
}

export interface BuilderPort {
  /** Builds the tree, or returns the build of the same tree made before; throws SLW_BUILD_FAILED with the output. */
  build(req: BuildRequest): Promise<BuildArtifact>;
}
