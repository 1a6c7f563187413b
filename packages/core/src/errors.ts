/**
 * The one catalogue of Slipway error codes. Codes are stable and never reused; the HTTP
 * status and CLI exit code are mapped at the edges (server, cli), never here.
 * `docs/errors.md` lists every code; a test keeps the two in step.
 */
export const ERROR_CODES = {
  SLW_SPEC_INVALID: "The stack spec does not validate.",
  SLW_SPEC_NOT_FOUND: "No slipway.config.ts where one was expected.",
  SLW_SPEC_LOAD_FAILED: "The spec file could not be evaluated.",
  SLW_BINARY_MISSING: "A system binary the local driver needs is not installed.",
  SLW_PORT_IN_USE: "A port Slipway was asked to listen on is taken.",
  SLW_PATH_NOT_TRAVERSABLE: "An unprivileged service user cannot reach the state directory.",
  SLW_STATE_CORRUPT: "A file under .slipway/ could not be read.",
  SLW_STATE_UNSAFE: "A directory under .slipway/ is owned by another user or writable by others.",
  SLW_ADDON_FAILED: "An add-on (postgres, redis, bucket) did not start.",
  SLW_BUILD_FAILED: "The build step failed.",
  SLW_RELEASE_JOB_FAILED: "The release job (migrations) exited non-zero; the live release keeps serving.",
  SLW_UNHEALTHY: "A new revision did not become healthy in time; the live release keeps serving.",
  SLW_EDGE_FAILED: "The edge proxy (HAProxy) could not be started or changed.",
  SLW_NOT_FOUND: "The named resource does not exist.",
  SLW_CONFLICT: "The resource is not in a state that allows this.",
  SLW_BAD_REQUEST: "The request body or parameters are invalid.",
  SLW_METHOD_NOT_ALLOWED: "The API path exists, but not for this HTTP method.",
  SLW_PAYLOAD_TOO_LARGE: "The request body is larger than the API accepts.",
  SLW_UNSUPPORTED_MEDIA_TYPE: "The request body's content type is not one the API accepts.",
  SLW_UNAUTHENTICATED: "No valid bearer token was given.",
  SLW_FORBIDDEN: "The token's role does not allow this.",
  SLW_SERVER_UNREACHABLE: "The CLI could not reach the control plane.",
  SLW_INTERNAL: "A bug: Slipway did something it should not. Please report it with the log.",
  SLW_PROCESS_FAILED: "A service process could not be started, signalled or stopped.",
  SLW_RENDER_UNSUPPORTED: "The spec uses a feature the chosen render target cannot express.",
  SLW_BACKUP_FAILED: "A backup, WAL stream or restore of a postgres add-on could not be completed.",
  SLW_BACKUP_CORRUPT: "A stored backup file failed verification.",
  SLW_BACKUP_KEY:
    "The backup encryption key is missing, malformed or not the one the backups were encrypted with.",
  SLW_RESTORE_OUT_OF_WINDOW: "The requested restore point is outside the recoverable window.",
  SLW_SECRET_UNREADABLE: "A sealed secret does not open: wrong master key, or its stored bytes were changed.",
  SLW_PROMOTION_REFUSED: "The environment's promotion rule refuses this build now.",
  SLW_MASK_REFUSED:
    "A masked data copy was refused before copying anything: a table or column has no fitting rule.",
  SLW_DATA_COPY_FAILED: "A database copy failed part-way; the target database was left as it was.",
  SLW_DRILL_FAILED: "A restore drill failed: the restore, or a verification query in the restored copy.",
  SLW_CANARY_ROLLED_BACK:
    "The canary was judged worse than allowed (or aborted): all traffic went back to the live release.",
  SLW_INSECURE_TRANSPORT:
    "Plain HTTP was asked for on an address that is not loopback; tokens need TLS there.",
  SLW_TLS_UNTRUSTED:
    "The server's TLS certificate is not the pinned one (or not trusted); nothing, no token, was sent.",
  SLW_SOURCE_INVALID: "An uploaded source tree's manifest is refused: a path, mode, hash, size or limit.",
  SLW_BLOB_MISMATCH: "An uploaded file blob's bytes do not hash to the name it was sent under.",
  SLW_BLOBS_MISSING: "A deploy names file blobs of its tree that have not been uploaded yet.",
  SLW_ROLLOUT_ABORTED:
    "Someone aborted the rollout before its release took traffic; the live release keeps serving.",
  SLW_ROLLOUT_STUCK:
    "A step of the analysed rollout kept failing past its deadline: it was aborted, the live release takes all traffic.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const BRAND = Symbol.for("slipway.error");

/**
 * An error the user can fix: shown as its message and hint, without a stack.
 * Anything that is not a SlipwayError is a bug and keeps its stack.
 */
export class SlipwayError extends Error {
  override readonly name = "SlipwayError";
  /** See isSlipwayError: a brand that survives two copies of this module. */
  readonly [BRAND] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What to do next, e.g. "install it with: sudo apt-get install -y redis-server". */
    readonly hint?: string,
    /** Structured detail (field paths, job output tail) for --json and problem+json. */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** True for a code of this catalogue (and not, say, a Node `ENOENT` or a Postgres `23505`). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * By brand, not `instanceof`: the CLI's prebuilt bundle holds its own copy of this class,
 * while `slipway up` throws from the TypeScript source, and both must read as user errors.
 */
export function isSlipwayError(e: unknown): e is SlipwayError {
  return typeof e === "object" && e !== null && (e as { [BRAND]?: unknown })[BRAND] === true;
}
