/** One input's editor: text (nested JSON or a flat list), a .npy file, or an image for image-shaped inputs. */
import { elementCount, parseNpy, type Tensor, type TensorSpec } from '@graphpipe/client';
import { h, idFor } from './dom.js';
import { convertTo, formatTensor, InputError, parseInput } from './editor.js';
import { imageToTensor } from './image-file.js';
import { imageLayout, type PixelScale } from './image.js';

/** Above this many values a tensor is held as it is rather than written into the text box. */
const TEXT_LIMIT = 2048;

export const describeSpec = (spec: TensorSpec) =>
  `${spec.dtype ?? 'any dtype'} ${spec.shape ? `[${spec.shape.join(', ')}]` : 'of any shape'}`;

export class InputEditor {
  readonly element: HTMLFieldSetElement;
  private readonly text: HTMLTextAreaElement;
  private readonly note: HTMLElement;
  private readonly error: HTMLElement;
  /** A tensor from a file, an image or a large example, used until the text is edited. */
  private held: Tensor | undefined;

  constructor(
    readonly spec: TensorSpec,
    /** Told of every change: `typing` when it is a keystroke in the text box. */
    private readonly changed: (typing: boolean) => void,
  ) {
    const id = idFor('input', spec.name);
    const shapeHint =
      spec.shape && spec.shape.length > 1 ? `, or a flat list reshaped to [${spec.shape.join(', ')}]` : '';
    this.text = h('textarea', {
      id,
      name: spec.name,
      spellcheck: 'false',
      'aria-describedby': `${id}-hint ${id}-note ${id}-error`,
    });
    this.note = h('p', { id: `${id}-note`, class: 'hint', 'aria-live': 'polite' });
    this.error = h('p', { id: `${id}-error`, class: 'error', role: 'alert' });
    const npy = h('input', { id: `${id}-npy`, type: 'file', accept: '.npy' });
    this.element = h(
      'fieldset',
      { class: 'input' },
      h('legend', {}, `${spec.name} · ${describeSpec(spec)}`),
      spec.description ? h('p', { class: 'hint' }, spec.description) : undefined,
      h('label', { for: id }, `Values for ${spec.name}`),
      h('p', { id: `${id}-hint`, class: 'hint' }, `Nested JSON${shapeHint}. Ctrl+Enter runs the model.`),
      this.text,
      h('div', { class: 'files' }, h('label', { for: npy.id }, 'or a .npy file'), npy),
      this.imagePicker(id),
      this.note,
      this.error,
    );
    this.text.addEventListener('input', () => {
      this.held = undefined;
      this.note.textContent = '';
      this.clearError();
      this.changed(true);
    });
    npy.addEventListener('change', () => {
      const file = npy.files?.[0];
      if (file)
        void this.load(file.name, async () =>
          convertTo(parseNpy(new Uint8Array(await file.arrayBuffer())), spec.dtype),
        );
      npy.value = '';
    });
  }

  /** The tensor to send; throws InputError, shown beside the input, when the text cannot be one. */
  tensor(): Tensor {
    if (this.held) return this.held;
    try {
      return parseInput(this.text.value, this.spec);
    } catch (err) {
      if (err instanceof InputError) this.showError(err.message);
      throw err;
    }
  }

  /** Puts a tensor in the editor: as text when small enough to read, else held as it is. */
  set(t: Tensor, from: string): void {
    this.clearError();
    const count = elementCount(t.shape);
    if (count <= TEXT_LIMIT) {
      this.held = undefined;
      this.text.value = formatTensor(t);
      this.note.textContent = from;
    } else {
      this.held = t;
      this.text.value = '';
      this.note.textContent = `${from}: ${t.dtype} [${t.shape.join(', ')}], ${count} values (type here to replace it)`;
    }
    this.changed(false);
  }

  showError(message: string): void {
    this.error.textContent = message;
    this.text.setAttribute('aria-invalid', 'true');
  }

  clearError(): void {
    this.error.textContent = '';
    this.text.removeAttribute('aria-invalid');
  }

  focus(): void {
    this.text.focus();
  }

  private async load(from: string, read: () => Promise<Tensor>): Promise<void> {
    try {
      this.set(await read(), `from ${from}`);
    } catch (err) {
      this.showError(`${from}: ${(err as Error).message}`);
    }
  }

  /** For image-shaped inputs: a file picker and drop zone, and how pixels become numbers. */
  private imagePicker(id: string): HTMLElement | undefined {
    const layout = imageLayout(this.spec);
    if (!layout) return undefined;
    const file = h('input', { id: `${id}-image`, type: 'file', accept: 'image/*' });
    const preview = h('img', { alt: '', hidden: true });
    const floats = layout.dtype.startsWith('float');
    const scale = h(
      'select',
      { id: `${id}-scale` },
      h('option', { value: 'unit' }, '0 to 1'),
      h('option', { value: 'byte' }, '0 to 255'),
    );
    const size = layout.height && layout.width ? `${layout.width}×${layout.height}` : 'its own size';
    const zone = h(
      'div',
      { class: 'drop' },
      h(
        'div',
        { class: 'files' },
        h('label', { for: file.id }, 'Image'),
        file,
        floats ? h('label', { for: scale.id }, 'Pixel values') : undefined,
        floats ? scale : undefined,
      ),
      h(
        'p',
        { class: 'hint' },
        `Or drop an image here. It is resized to ${size}, centre-cropped, as ${layout.channels === 3 ? 'RGB' : 'grey'}, ${layout.channelsFirst ? 'channels first' : 'channels last'}.`,
      ),
      preview,
    );
    const use = (picked: File) =>
      this.load(picked.name, async () => {
        const image = await imageToTensor(picked, layout, scale.value as PixelScale);
        preview.src = image.preview;
        preview.alt = `${picked.name} as sent, ${image.width}×${image.height}`;
        preview.hidden = false;
        return image.tensor;
      });
    file.addEventListener('change', () => {
      const picked = file.files?.[0];
      if (picked) void use(picked);
    });
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      zone.classList.add('over');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('over');
      const picked = event.dataTransfer?.files[0];
      if (picked) void use(picked);
    });
    return zone;
  }
}
