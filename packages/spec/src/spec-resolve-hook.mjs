// Node module-resolution hook for spec loads. It runs in Node's loader thread, so it is plain
// JavaScript. It only touches imports made from inside a spec load (a parent URL that carries a
// tsx namespace); the rest of the process resolves as if it were not there.
let specifier;
let fallbackUrl;
let sharedNamespace;

export function initialize(data) {
  specifier = data.specifier;
  fallbackUrl = data.fallbackUrl;
  sharedNamespace = data.sharedNamespace;
}

export async function resolve(request, context, nextResolve) {
  const fromSpecLoad = context.parentURL?.includes("tsx-namespace=") ?? false;
  let result;
  try {
    result = await nextResolve(request, context);
  } catch (error) {
    // A project that has not installed the spec package gets this copy; an installed one wins.
    if (!(fromSpecLoad && request === specifier && error?.code === "ERR_MODULE_NOT_FOUND")) throw error;
    result = { url: fallbackUrl };
  }
  if (!fromSpecLoad || !isPackage(request) || !result.url.startsWith("file:")) return result;
  // Packages go into one shared tsx namespace, so they are evaluated once per process instead of
  // once per load, while the spec's own files stay fresh. tsx keeps a namespace it finds on a
  // URL; one a process-wide tsx (tsx CLI, vitest) put there from the parent is replaced.
  const url = new URL(result.url);
  url.searchParams.set("tsx-namespace", sharedNamespace);
  return { ...result, url: url.href, shortCircuit: true };
}

/** A bare specifier ("zod", "@slipway/spec/x"), not a relative path, an absolute path or a URL. */
function isPackage(request) {
  return !/^(?:\.{0,2}\/|[a-zA-Z][a-zA-Z\d+.-]*:)/.test(request);
}
