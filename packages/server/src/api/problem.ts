import type { ErrorCode } from "@slipway/core";

/** Error code → HTTP status. Domain code never sees HTTP; this is the edge that maps. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  SLW_SPEC_INVALID: 422,
  SLW_SPEC_NOT_FOUND: 422,
  SLW_SPEC_LOAD_FAILED: 422,
  SLW_BAD_REQUEST: 400,
  SLW_UNAUTHENTICATED: 401,
  SLW_FORBIDDEN: 403,
  SLW_NOT_FOUND: 404,
  SLW_CONFLICT: 409,
  SLW_PORT_IN_USE: 409,
  SLW_BUILD_FAILED: 422,
};

export const httpStatus = (code: string): number => STATUS[code as ErrorCode] ?? 500;

/** RFC 9457 problem details, with our stable code and what to do next. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  hint?: string;
  [extra: string]: unknown;
}

export function problem(
  code: string,
  detail: string,
  hint?: string,
  extra: Record<string, unknown> = {},
): Problem {
  return {
    type: `https://slipway.dev/errors/${code}`,
    title: code,
    status: httpStatus(code),
    code,
    detail,
    ...(hint ? { hint } : {}),
    ...extra,
  };
}
