export { renderCompose } from "./compose/index";
export * from "./container";
export * from "./dockerfile";
export * from "./input";
export * from "./kubernetes";
