export { fakeDriver } from "./fake-driver";
export {
  FakeClock,
  type FakeEdgeState,
  type FakeJob,
  type FakeProcess,
  FakeWorld,
  type JobBehaviour,
  type ProcessBehaviour,
} from "./world";
