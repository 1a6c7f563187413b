import type { ErrorCode } from "@slipway/core";

/**
 * Error code → HTTP status, one row per code of the catalogue (the type makes a missing row a
 * compile error; a test checks it too). Domain code never sees HTTP; this is the edge that maps.
 * Only a bug is a 500: a condition of this machine the operator must fix (a missing binary, a
 * damaged state file, an add-on that will not start) is a 503.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  SLW_SPEC_INVALID: 422,
  SLW_SPEC_NOT_FOUND: 422,
  SLW_SPEC_LOAD_FAILED: 422,
  SLW_BINARY_MISSING: 503,
  SLW_PORT_IN_USE: 409,
  SLW_PATH_NOT_TRAVERSABLE: 503,
  SLW_STATE_CORRUPT: 503,
  SLW_STATE_UNSAFE: 503,
  SLW_ADDON_FAILED: 503,
  SLW_BUILD_FAILED: 422,
  SLW_RELEASE_JOB_FAILED: 422,
  SLW_UNHEALTHY: 422,
  SLW_EDGE_FAILED: 503,
  SLW_NOT_FOUND: 404,
  SLW_CONFLICT: 409,
  SLW_BAD_REQUEST: 400,
  SLW_METHOD_NOT_ALLOWED: 405,
  SLW_PAYLOAD_TOO_LARGE: 413,
  SLW_UNSUPPORTED_MEDIA_TYPE: 415,
  SLW_UNAUTHENTICATED: 401,
  SLW_FORBIDDEN: 403,
  // The CLI's own error (it never reaches the control plane), mapped for completeness.
  SLW_SERVER_UNREACHABLE: 502,
  SLW_INTERNAL: 500,
  SLW_PROCESS_FAILED: 503,
  SLW_RENDER_UNSUPPORTED: 422,
  SLW_BACKUP_FAILED: 503,
  SLW_BACKUP_CORRUPT: 503,
  SLW_BACKUP_KEY: 422,
  SLW_RESTORE_OUT_OF_WINDOW: 422,
  SLW_SECRET_UNREADABLE: 503,
  SLW_PROMOTION_REFUSED: 409,
  SLW_MASK_REFUSED: 422,
  SLW_DATA_COPY_FAILED: 409,
  SLW_DRILL_FAILED: 503,
  SLW_CANARY_ROLLED_BACK: 422,
  SLW_INSECURE_TRANSPORT: 400,
  // The CLI's own refusal (the request is never sent), mapped for completeness.
  SLW_TLS_UNTRUSTED: 502,
  SLW_SOURCE_INVALID: 400,
  SLW_BLOB_MISMATCH: 422,
  SLW_BLOBS_MISSING: 409,
  SLW_ROLLOUT_ABORTED: 409,
  SLW_ROLLOUT_STUCK: 503,
};

export const httpStatus = (code: ErrorCode): number => HTTP_STATUS[code];

/** RFC 9457 problem details, with our stable code and what to do next. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  hint?: string;
  [extra: string]: unknown;
}

export function problem(
  code: ErrorCode,
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
