/**
 * The playground: pick a served model, see its metadata, give it inputs, run it over GraphPipe's
 * binary protocol with the project's client, and see its outputs and code that does the same.
 */
import type { MetadataResponse, RemoteModel, Tensor } from '@graphpipe/client';
import type { NamedTensor } from '@graphpipe/protocol/v2';
import { asServerError, type ModelEntry, modelPath, Server, type ServerError, serverBase } from './api.js';
import { byId, fill, h } from './dom.js';
import { exampleAt, zerosFor } from './editor.js';
import { describeSpec, InputEditor } from './input-editor.js';
import { renderOutputs } from './outputs-view.js';
import { cliSnippet, clientSnippet, curlSnippet } from './snippets.js';
import { renderSnippets } from './snippets-view.js';

interface Chosen {
  readonly name: string;
  readonly version: string | undefined;
  readonly client: RemoteModel;
  readonly metadata: MetadataResponse;
  readonly labels: readonly string[] | undefined;
  readonly examples: Readonly<Record<string, Tensor>>;
  readonly editors: readonly InputEditor[];
  example: number;
}

const server = new Server(serverBase(location.href));
const status = byId('status');
const modelSelect = byId<HTMLSelectElement>('model');
const versionSelect = byId<HTMLSelectElement>('version');
let models: ModelEntry[] = [];
let chosen: Chosen | undefined;
let speaksV2 = false;
/** Answers to an earlier choice of model are dropped. */
let choice = 0;

byId('server').textContent = `Server: ${server.base.href}`;

async function start(): Promise<void> {
  status.textContent = 'Loading the served models…';
  void server.speaksV2().then((yes) => {
    speaksV2 = yes;
    showSnippets();
  });
  try {
    models = await server.models();
  } catch (err) {
    failed(asServerError(err));
    return;
  }
  byId('auth').hidden = true;
  fill(
    modelSelect,
    ...models.map(({ name, versions }) => {
      const ready = versions.some((v) => v.state === 'READY');
      const state = ready ? '' : ` (${versions.map((v) => v.state.toLowerCase()).join(', ')})`;
      return h('option', { value: name, disabled: !ready }, `${name}${state}`);
    }),
  );
  byId('chooser').hidden = false;
  const first = models.find((m) => m.versions.some((v) => v.state === 'READY'));
  if (!first) {
    status.textContent = models.length ? 'No model is ready yet.' : 'This server serves no model yet.';
    return;
  }
  modelSelect.value = first.name;
  await choose(first.name, undefined);
}

/** Shows versions to choose from when a model has several. */
function showVersions(name: string): void {
  const versions = models.find((m) => m.name === name)?.versions ?? [];
  byId('version-field').hidden = versions.length < 2;
  fill(
    versionSelect,
    h('option', { value: '' }, 'default'),
    ...versions.map((v) =>
      h(
        'option',
        { value: v.version, disabled: v.state !== 'READY' },
        `${v.version}${v.state === 'READY' ? '' : ` (${v.state.toLowerCase()})`}`,
      ),
    ),
  );
}

async function choose(name: string, version: string | undefined): Promise<void> {
  const mine = ++choice;
  if (version === undefined) showVersions(name);
  status.textContent = `Loading ${name}…`;
  const client = server.client(name, version);
  let metadata: MetadataResponse;
  let labels: string[] | undefined;
  let examples: Record<string, Tensor>;
  try {
    [metadata, labels, examples] = await Promise.all([
      client.metadata(),
      server.labels(name, version),
      server.examples(name, version),
    ]);
  } catch (err) {
    if (mine === choice) failed(asServerError(err));
    return;
  }
  if (mine !== choice) return;
  const editors = metadata.inputs.map(
    (spec) => new InputEditor(spec, (typing) => (typing ? showSnippetsSoon() : showSnippets())),
  );
  chosen = { name, version, client, metadata, labels, examples, editors, example: 0 };
  showModel(chosen);
  fill(byId('inputs'), ...editors.map((e) => e.element));
  const hasExamples = metadata.inputs.some((spec) => examples[spec.name]);
  byId('fill').textContent = hasExamples ? 'Fill with an example' : 'Fill with zeros';
  byId('fill-note').textContent = '';
  byId('run-error').textContent = '';
  byId('run-form').hidden = false;
  byId('outputs').hidden = true;
  status.textContent = '';
  showSnippets();
}

function showModel({ metadata, labels }: Chosen): void {
  const rows = [
    ...metadata.inputs.map((spec) => ['input', spec] as const),
    ...metadata.outputs.map((spec) => ['output', spec] as const),
  ];
  const described = rows.some(([, spec]) => spec.description);
  const columns = ['', 'name', 'dtype and shape', ...(described ? ['description'] : [])];
  fill(
    byId('model-info'),
    h(
      'p',
      { class: 'meta' },
      [metadata.version && `version ${metadata.version}`, metadata.server && `served by ${metadata.server}`]
        .filter(Boolean)
        .join(' · '),
    ),
    metadata.description ? h('p', {}, metadata.description) : undefined,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('caption', {}, `Inputs and outputs of ${metadata.name}`),
        h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...rows.map(([role, spec]) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, role),
              h('td', {}, spec.name),
              h('td', {}, describeSpec(spec)),
              described ? h('td', {}, spec.description ?? '') : undefined,
            ),
          ),
        ),
      ),
    ),
    labels?.length ? h('p', { class: 'meta' }, `Classes: ${labels.join(', ')}`) : undefined,
  );
}

/** The next example (one row of each input's examples), or zeros for inputs without any. */
function fillExample(): void {
  if (!chosen) return;
  let count = 0;
  for (const editor of chosen.editors) {
    const example = chosen.examples[editor.spec.name];
    if (!example) {
      editor.set(zerosFor(editor.spec), 'zeros: the model has no example for this input');
      continue;
    }
    const picked = exampleAt(example, editor.spec, chosen.example);
    count = Math.max(count, picked.count);
    editor.set(
      picked.tensor,
      picked.count > 1 ? `example ${(chosen.example % picked.count) + 1} of ${picked.count}` : 'the model’s example',
    );
  }
  byId('fill-note').textContent =
    count > 1 ? `Example ${(chosen.example % count) + 1} of ${count}; press again for the next.` : '';
  chosen.example++;
}

/** The inputs as typed, or undefined (with the reasons shown beside them) when one cannot be read. */
function readInputs(model: Chosen): NamedTensor[] | undefined {
  const inputs: NamedTensor[] = [];
  let ok = true;
  for (const editor of model.editors) {
    editor.clearError();
    try {
      inputs.push({ name: editor.spec.name, tensor: editor.tensor() });
    } catch {
      ok = false;
    }
  }
  return ok ? inputs : undefined;
}

async function run(): Promise<void> {
  const model = chosen;
  if (!model) return;
  const runError = byId('run-error');
  runError.textContent = '';
  // A rebuild still to come would clear the errors readInputs shows: done now instead.
  if (snippetsTimer !== undefined) showSnippets();
  const inputs = readInputs(model);
  if (!inputs) {
    model.editors.find((e) => e.element.querySelector('[aria-invalid]'))?.focus();
    return;
  }
  const button = byId<HTMLButtonElement>('run');
  button.disabled = true;
  status.textContent = `Running ${model.name}…`;
  const started = performance.now();
  try {
    const { outputs, byName } = await model.client.infer(Object.fromEntries(inputs.map((i) => [i.name, i.tensor])));
    const ms = performance.now() - started;
    const names = new Map(Object.entries(byName).map(([name, t]) => [t, name]));
    const named = outputs.map((tensor, i) => ({ name: names.get(tensor) ?? `output ${i}`, tensor }));
    fill(byId('output-list'), ...renderOutputs(named, model.labels));
    byId('timing').textContent = `Answered in ${ms.toFixed(1)} ms (round trip, over GraphPipe’s binary protocol).`;
    byId('outputs').hidden = false;
    status.textContent = `${model.name} answered.`;
    // For measuring: the time from opening the page to an answer on screen.
    performance.mark('graphpipe:answer');
  } catch (err) {
    const error = asServerError(err);
    status.textContent = '';
    if (error.needsToken) return failed(error);
    // The server names the input its message is about: show it there.
    const editor = model.editors.find((e) => error.message.includes(`input "${e.spec.name}"`));
    if (editor) editor.showError(error.message);
    else runError.textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

/** Snippets rebuilt this long after the last keystroke, not on every one (each reads every input). */
const SNIPPETS_DELAY_MS = 200;
let snippetsTimer: ReturnType<typeof setTimeout> | undefined;

function showSnippetsSoon(): void {
  clearTimeout(snippetsTimer);
  snippetsTimer = setTimeout(showSnippets, SNIPPETS_DELAY_MS);
}

function showSnippets(): void {
  clearTimeout(snippetsTimer);
  snippetsTimer = undefined;
  const model = chosen;
  if (!model) return;
  const inputs: NamedTensor[] = [];
  for (const editor of model.editors) {
    let tensor: Tensor;
    try {
      tensor = editor.tensor();
    } catch {
      editor.clearError();
      tensor = zerosFor(editor.spec);
    }
    inputs.push({ name: editor.spec.name, tensor });
  }
  const url = server.url(modelPath(model.name, model.version));
  const needsToken = server.token !== undefined;
  const v2 = server.url(`v2/${modelPath(model.name, model.version)}/infer`);
  fill(
    byId('snippet-list'),
    ...renderSnippets(
      [
        { title: 'graphpipe CLI', code: cliSnippet(url, inputs, needsToken) },
        { title: 'TypeScript client', code: clientSnippet(url, inputs, needsToken) },
        speaksV2
          ? { title: 'curl (Open Inference Protocol v2)', code: curlSnippet(v2, inputs, needsToken) }
          : undefined,
      ].filter((s) => s !== undefined),
    ),
  );
  byId('snippets').hidden = false;
}

/** A failure the page cannot go on from: a token to ask for, or the server's message. */
function failed(error: ServerError): void {
  status.textContent = '';
  if (error.needsToken) {
    byId('auth').hidden = false;
    byId('auth-message').textContent = error.message;
    byId('token').focus();
    return;
  }
  status.textContent = error.message;
}

byId('auth').addEventListener('submit', (event) => {
  event.preventDefault();
  server.token = byId<HTMLInputElement>('token').value.trim() || undefined;
  void start();
});
modelSelect.addEventListener('change', () => void choose(modelSelect.value, undefined));
versionSelect.addEventListener('change', () => void choose(modelSelect.value, versionSelect.value || undefined));
byId('fill').addEventListener('click', fillExample);
byId('run-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
byId('run-form').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    void run();
  }
});

void start();
