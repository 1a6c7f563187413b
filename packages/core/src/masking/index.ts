export { fakeValue } from "./fakes";
export {
  type ForeignKey,
  type MaskPlan,
  type MaskProblem,
  maskCell,
  planMaskedCopy,
  type SourceColumn,
  type SourceTable,
  type TableCopy,
} from "./plan";
export { type FakeRule, MASK_RULES, type MaskRule, type MaskRules } from "./rules";
