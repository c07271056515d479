/**
 * The image recipe and manifests cannot run here (no container engine, no cluster), so this
 * checks what they rely on: every manifest parses; every command line they give the image is one
 * the CLI's own commander program accepts; the image's entry point is the CLI; and each command
 * line, run for real with its paths mapped to files here, serves the probe paths on the port
 * the probes name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '@graphpipe/cli';
import { RemoteModel, tensor } from '@graphpipe/client';
import { Client, credentials } from '@grpc/grpc-js';
import {
  fromBinary,
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from '@graphpipe/protocol/grpc';
import { afterAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';

const deployDir = fileURLToPath(new URL('../', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cliPackage = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
type Manifest = any;

/** Every YAML document under deploy/, with the file it came from. */
function manifests(): { file: string; doc: Manifest }[] {
  const files = readdirSync(deployDir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => /\.ya?ml$/.test(f) && !f.includes('node_modules'),
  );
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(deployDir, file), 'utf8')).map((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return { file, doc: doc.toJS() as Manifest };
    }),
  );
}

const all = manifests();
const byKind = (kind: string) => all.filter((m) => m.doc.kind === kind).map((m) => m.doc);

interface ParsedCommand {
  readonly command: string;
  readonly operands: string[];
  readonly options: Record<string, unknown>;
}

/**
 * A command line as the CLI parses it: its own commander program, with each command's action
 * replaced by one that records what it was given. Unknown options, bad values and missing
 * arguments throw, as they would make the CLI exit.
 */
function parseWithCli(args: readonly string[]): ParsedCommand {
  const silent = { writeOut: () => {}, writeErr: () => {} };
  const program = buildProgram().exitOverride().configureOutput(silent);
  let parsed: ParsedCommand | undefined;
  for (const command of program.commands) {
    command
      .exitOverride()
      .configureOutput(silent)
      .action((...given: unknown[]) => {
        const operands = given.slice(0, command.registeredArguments.length) as string[];
        parsed = { command: command.name(), operands, options: command.opts() };
      });
  }
  program.parse([...args], { from: 'user' });
  if (!parsed) throw new Error(`no command ran for: ${args.join(' ')}`);
  return parsed;
}

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfile(): { instruction: string; value: string }[] {
  const text = readFileSync(join(deployDir, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [instruction, ...rest] = line.split(/\s+/);
      return { instruction: instruction!.toUpperCase(), value: rest.join(' ') };
    });
}

const running: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(
    running.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }),
  );
});

/**
 * Runs the built CLI with these arguments, listening on loopback and a free port instead of the
 * ones given, and resolves with the URL it prints once serving.
 */
async function serveWith(args: readonly string[]): Promise<{ url: string; grpc: string | undefined }> {
  const local = args.flatMap((arg, i) => {
    const previous = args[i - 1];
    // With --port 0 the gRPC port is a free one too.
    if (arg === '--grpc-port' || previous === '--grpc-port' || arg.startsWith('--grpc-port=')) return [];
    if (previous === '--port') return ['0'];
    if (previous === '--host') return ['127.0.0.1'];
    if (arg.startsWith('--port=')) return ['--port=0'];
    if (arg.startsWith('--host=')) return ['--host=127.0.0.1'];
    return [arg];
  });
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'packages/cli', cliPackage.bin.graphpipe!), ...local, '--quiet'],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const m = /serving \S+ on (http:\/\/\S+)\n(?: {2}grpc: +(grpc:\/\/\S+))?/.exec(output);
      if (m) resolve({ url: m[1]!, grpc: m[2] });
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`graphpipe ${local.join(' ')} exited with ${code}:\n${output}`)));
  });
}

/** The value a command line gives an option, as `--opt value` or `--opt=value`. */
function optionValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

/**
 * Checks each probe of a container: its port is the one the server listens on (HTTP's, or gRPC's
 * for a gRPC probe), and it answers: 200 for a path, SERVING from grpc.health.v1 for gRPC.
 */
async function expectProbesAnswer(container: Manifest, urls: { url: string; grpc: string | undefined }): Promise<void> {
  const port = Number(optionValue(container.args, '--port'));
  const grpcPort = Number(optionValue(container.args, '--grpc-port') ?? 8001);
  const probes = [container.readinessProbe, container.livenessProbe, container.startupProbe].filter(Boolean);
  expect(probes.length).toBeGreaterThanOrEqual(2);
  const portOf = (p: number | string) =>
    typeof p === 'number' ? p : (container.ports ?? []).find((c: Manifest) => c.name === p)?.containerPort;
  for (const probe of probes) {
    if (probe.grpc) {
      expect(portOf(probe.grpc.port), 'gRPC probe port').toBe(grpcPort);
      expect(await grpcHealth(urls.grpc!, probe.grpc.service ?? '')).toBe(HealthCheckResponse_ServingStatus.SERVING);
      continue;
    }
    const { path, port: probePort } = probe.httpGet;
    expect(portOf(probePort), `probe port ${probePort}`).toBe(port);
    const res = await fetch(`${urls.url}${path}`);
    expect(res.status, `GET ${path}`).toBe(200);
  }
}

/** What a Kubernetes gRPC probe asks: grpc.health.v1.Health/Check. */
function grpcHealth(url: string, service: string): Promise<number> {
  const client = new Client(url.replace('grpc://', ''), credentials.createInsecure());
  // HealthCheckRequest { service = 1 }, as the kubelet sends it.
  const request = Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(service)]), Buffer.from(service)]);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${Health.typeName}/${Health.method.check.name}`,
      (b: Buffer) => b,
      (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
      request,
      (err, answer) => {
        client.close();
        if (err) reject(err);
        else resolve(answer!.status);
      },
    );
  });
}

test('every manifest parses, and names its kind and API version', () => {
  expect(all.map((m) => `${relative('.', m.file)}: ${m.doc.kind}`).sort()).toEqual([
    'kserve/inference-service.yaml: InferenceService',
    'kserve/inference-service.yaml: InferenceService',
    'kserve/serving-runtime.yaml: ServingRuntime',
    'kserve/serving-runtime.yaml: ServingRuntime',
    'kubernetes/deployment.yaml: Deployment',
    'kubernetes/hpa.yaml: HorizontalPodAutoscaler',
    'kubernetes/service.yaml: Service',
  ]);
  for (const { doc } of all) expect(doc.apiVersion).toEqual(expect.any(String));
});

describe('the image recipe', () => {
  const lines = dockerfile();
  const stages = lines.filter((l) => l.instruction === 'FROM');
  const finalStage = lines.slice(lines.lastIndexOf(stages.at(-1)!));
  const last = (instruction: string) => finalStage.filter((l) => l.instruction === instruction).at(-1)?.value;

  test('builds in stages and runs as an unprivileged, numeric user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const user = last('USER')!;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  test('installs ONNX Runtime for the CPU only, production dependencies, every package the CLI needs', () => {
    const install = lines.findIndex((l) => l.instruction === 'RUN' && /npm install/.test(l.value));
    const env = lines.findIndex((l) => l.instruction === 'ENV' && /ONNXRUNTIME_NODE_INSTALL=skip/.test(l.value));
    expect(env).toBeGreaterThanOrEqual(0);
    expect(env).toBeLessThan(install);
    expect(lines[install]!.value).toContain('--omit=dev');
    const packed = /for pkg in ([\w\s-]+); do/.exec(lines.find((l) => /pnpm@[\d.]+ pack/.test(l.value))!.value)![1]!;
    const needed = [...Object.keys(cliPackage.dependencies), ...Object.keys(cliPackage.peerDependencies)]
      .filter((name) => name.startsWith('@graphpipe/') && name !== '@graphpipe/compose')
      .map((name) => name.replace('@graphpipe/', ''));
    // Each @graphpipe package comes from the build, never asked of the registry.
    for (const pkg of [...needed, 'cli']) expect(packed.split(/\s+/)).toContain(pkg);
  });

  test('its entry point is the CLI, and its command serves the health check it declares', async () => {
    const entrypoint = JSON.parse(last('ENTRYPOINT')!) as string[];
    expect(entrypoint[0]).toBe('node');
    // The heap flag given, the server runs as PID 1 rather than starting itself again with it.
    expect(entrypoint[1]).toMatch(/^--initial-old-space-size=\d+$/);
    expect(entrypoint[2]).toBe(
      `/app/node_modules/${cliPackage.name}/${cliPackage.bin.graphpipe!.replace(/^\.\//, '')}`,
    );
    const command = JSON.parse(last('CMD')!) as string[];
    expect(parseWithCli(command)).toMatchObject({ command: 'serve', operands: ['/models/iris-classifier.onnx'] });

    const healthcheck = /http:\/\/127\.0\.0\.1:(\d+)(\/[^'"]*)/.exec(last('HEALTHCHECK')!)!;
    expect(healthcheck[1]).toBe(optionValue(command, '--port'));
    // HTTP's port, which the health check asks, and gRPC's (the CLI's default, 8001).
    expect(last('EXPOSE')).toBe(`${healthcheck[1]} 8001`);
    // The image's /models holds the repository's models/ (the MODELS build argument's default).
    const { url } = await serveWith(command.map((a) => a.replace(/^\/models\//, 'models/')));
    expect((await fetch(`${url}${healthcheck[2]}`)).status).toBe(200);
  }, 60_000);
});

const [runtime, grpcRuntime] = byKind('ServingRuntime');
const [inferenceService, grpcService] = byKind('InferenceService');

describe('KServe', () => {
  const service = inferenceService;

  test('the runtime speaks v2 for ONNX and TensorFlow models, and the InferenceService uses it', () => {
    expect(runtime.spec.protocolVersions).toEqual(['v2']);
    expect(runtime.spec.supportedModelFormats.map((f: Manifest) => f.name).sort()).toEqual(['onnx', 'tensorflow']);
    const { model } = service.spec.predictor;
    expect(model.runtime).toBe(runtime.metadata.name);
    expect(model.protocolVersion).toBe('v2');
    expect(runtime.spec.supportedModelFormats.map((f: Manifest) => f.name)).toContain(model.modelFormat.name);
    expect(model.storageUri).toMatch(/^[a-z0-9]+:\/\//);
    const [container] = runtime.spec.containers;
    expect(container.name).toBe('kserve-container');
    expect(container.image).toBe(byKind('Deployment')[0].spec.template.spec.containers[0].image);
  });

  test("the runtime's command line is one the CLI accepts: the model at /mnt/models, named {{.Name}}", () => {
    const { args } = runtime.spec.containers[0];
    expect(args).toContain('--name={{.Name}}');
    // KServe fills in the InferenceService's name (a DNS label) before the CLI ever sees it.
    const parsed = parseWithCli(args.map((a: string) => a.replace('{{.Name}}', service.metadata.name)));
    expect(parsed).toMatchObject({
      command: 'serve',
      operands: ['/mnt/models'],
      options: { name: service.metadata.name },
    });
  });

  test('run as KServe would, it serves the InferenceService by name, and its probes answer', async () => {
    const [container] = runtime.spec.containers;
    // The storage initializer has downloaded storageUri (one .onnx file) into /mnt/models.
    const mnt = mkdtempSync(join(tmpdir(), 'graphpipe-mnt-'));
    copyFileSync(join(repoRoot, 'models/iris-classifier.onnx'), join(mnt, 'iris-classifier.onnx'));
    const name = service.metadata.name;
    const args = container.args.map((a: string) => a.replace('{{.Name}}', name).replace(/^\/mnt\/models$/, mnt));
    const urls = await serveWith(args);
    await expectProbesAnswer(container, urls);
    const { url } = urls;
    expect((await fetch(`${url}/v2/models/${name}/ready`)).status).toBe(200);
    const model = new RemoteModel(`${url}/v2/models/${name}`);
    const { byName } = await model.infer({ features: tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]) });
    expect(Array.from(byName.label!.data as BigInt64Array)).toEqual([0n]);
  }, 60_000);
});

describe('KServe over gRPC', () => {
  test('a runtime declares grpc-v2 on its one port, 8001, named h2c, with gRPC probes; an InferenceService picks it', () => {
    expect(grpcRuntime.spec.protocolVersions).toEqual(['grpc-v2']);
    const [container] = grpcRuntime.spec.containers;
    expect(container.ports).toEqual([{ containerPort: 8001, name: 'h2c', protocol: 'TCP' }]);
    expect(Number(optionValue(container.args, '--grpc-port'))).toBe(8001);
    expect(container.readinessProbe.grpc.port).toBe(8001);
    expect(grpcRuntime.spec.supportedModelFormats).toEqual(runtime.spec.supportedModelFormats);
    expect(container.image).toBe(runtime.spec.containers[0].image);
    const { model } = grpcService.spec.predictor;
    expect(model.runtime).toBe(grpcRuntime.metadata.name);
    expect(model.protocolVersion).toBe('grpc-v2');
    const parsed = parseWithCli(container.args.map((a: string) => a.replace('{{.Name}}', grpcService.metadata.name)));
    expect(parsed).toMatchObject({ command: 'serve', operands: ['/mnt/models'], options: { grpcPort: '8001' } });
  });

  test('run as KServe would, it answers its gRPC probes and serves the model over gRPC', async () => {
    const [container] = grpcRuntime.spec.containers;
    const mnt = mkdtempSync(join(tmpdir(), 'graphpipe-mnt-'));
    copyFileSync(join(repoRoot, 'models/iris-classifier.onnx'), join(mnt, 'iris-classifier.onnx'));
    const name = grpcService.metadata.name;
    const args = container.args.map((a: string) => a.replace('{{.Name}}', name).replace(/^\/mnt\/models$/, mnt));
    const urls = await serveWith(args);
    await expectProbesAnswer(container, urls);
    const model = new RemoteModel(`${urls.grpc}/models/${name}`);
    const { byName } = await model.infer({ features: tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]) });
    expect(Array.from(byName.label!.data as BigInt64Array)).toEqual([0n]);
    model.close();
  }, 60_000);
});

describe('plain Kubernetes', () => {
  const [deployment] = byKind('Deployment');
  const [service] = byKind('Service');
  const [autoscaler] = byKind('HorizontalPodAutoscaler');
  const pod = deployment.spec.template;
  const [container] = pod.spec.containers;

  test('the Service and the autoscaler point at the Deployment', () => {
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
    for (const [key, value] of Object.entries(service.spec.selector)) expect(pod.metadata.labels[key]).toBe(value);
    const targets = service.spec.ports.map((p: Manifest) => p.targetPort);
    for (const target of targets) expect(container.ports.map((p: Manifest) => p.name)).toContain(target);
    expect(autoscaler.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    // A CPU utilisation target needs the container to request CPU.
    expect(container.resources.requests.cpu).toBeDefined();
  });

  test("the container's command line is one the CLI accepts, and shutdown fits in the termination grace period", () => {
    const parsed = parseWithCli(container.args);
    expect(parsed.command).toBe('serve');
    const { shutdownGrace, drainTimeout } = parsed.options as { shutdownGrace: string; drainTimeout: string };
    expect((Number(shutdownGrace) + Number(drainTimeout)) / 1000).toBeLessThan(pod.spec.terminationGracePeriodSeconds);
    expect(container.volumeMounts.map((m: Manifest) => m.mountPath)).toContain('/models');
    expect(parsed.operands[0]).toMatch(/^\/models\//);
  });

  test('run for real, it serves on the port its probes name, and they answer', async () => {
    const urls = await serveWith(container.args.map((a: string) => a.replace(/^\/models\//, 'models/')));
    await expectProbesAnswer(container, urls);
    // The Service's gRPC port reaches the container's, which serves over h2c.
    const grpcPort = service.spec.ports.find((p: Manifest) => p.name === 'grpc');
    expect(grpcPort.appProtocol).toBe('kubernetes.io/h2c');
    const target = container.ports.find((p: Manifest) => p.name === grpcPort.targetPort);
    expect(target.containerPort).toBe(Number(optionValue(container.args, '--grpc-port')));
    expect(await grpcHealth(urls.grpc!, '')).toBe(HealthCheckResponse_ServingStatus.SERVING);
  }, 60_000);
});
