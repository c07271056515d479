/**
 * `graphpipe serve --otlp-endpoint`: the OpenTelemetry SDK, set up only when asked, exporting
 * spans over OTLP/HTTP. Its packages are optional: loaded here, on demand, or named in one line.
 */

/** The OpenTelemetry packages tracing loads; optional peer dependencies of the CLI. */
export const TRACING_PACKAGES = [
  '@opentelemetry/sdk-trace',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-trace-otlp-http',
] as const;

/**
 * Where spans go, as asked: `--otlp-endpoint` (a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is:
 * /v1/traces is added), else the standard variables, which the exporter reads itself. Undefined
 * when tracing was not asked for, or OTEL_SDK_DISABLED says no.
 */
export function otlpTarget(flag: string | undefined, env = process.env): { url?: string } | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (flag) return { url: `${flag.replace(/\/+$/, '')}/v1/traces` };
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT) return {};
  return undefined;
}

/**
 * Registers the SDK globally (before the server takes its first request, which is when the
 * server looks for one): spans batched to the OTLP endpoint, context carried through async
 * calls, W3C trace context in and out. The service is OTEL_SERVICE_NAME, else 'graphpipe'.
 * Returns what flushes the spans still queued and stops, for the server's exit.
 */
export async function startTracing(target: { url?: string }, env = process.env): Promise<() => Promise<void>> {
  const [sdk, hooks, core, resources, otlp] = await importAll();
  const resource = resources
    .resourceFromAttributes({ 'service.name': 'graphpipe' })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new sdk.TracerProvider({
    resource,
    sampler: samplerFrom(sdk, env),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new otlp.OTLPTraceExporter(target) })],
  });
  const { context, propagation, trace } = await import('@opentelemetry/api');
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  return () => provider.shutdown();
}

type Sdk = typeof import('@opentelemetry/sdk-trace');

/**
 * The standard OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, for the samplers the SDK has;
 * default (and for any other value): every trace a caller did not decide against.
 */
function samplerFrom(sdk: Sdk, env: NodeJS.ProcessEnv) {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? 1);
  const root = (name: string) =>
    name === 'always_off'
      ? new sdk.AlwaysOffSampler()
      : name === 'traceidratio'
        ? new sdk.TraceIdRatioBasedSampler(Number.isFinite(ratio) ? ratio : 1)
        : new sdk.AlwaysOnSampler();
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() ?? 'parentbased_always_on';
  return name.startsWith('parentbased_')
    ? new sdk.ParentBasedSampler({ root: root(name.slice('parentbased_'.length)) })
    : root(name);
}

async function importAll() {
  try {
    return await Promise.all([
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new Error(`tracing needs the OpenTelemetry SDK beside the CLI: npm install ${TRACING_PACKAGES.join(' ')}`);
  }
}
