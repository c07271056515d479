/**
 * Image-shaped inputs: rank 3 or 4 with a channel axis of 1 or 3, first (CHW) or last (HWC).
 * Pixels are laid out into the input's shape and dtype here; decoding and resizing the file is
 * the browser's (see image-file.ts).
 */
import { type NumericDType, type Tensor, type TensorSpec, tensor, typedArrayFor } from '@graphpipe/client';

export interface ImageLayout {
  /** Rows and columns the model wants; undefined where it takes any size (the image's own is used). */
  readonly height?: number;
  readonly width?: number;
  readonly channels: 1 | 3;
  /** CHW (channels first) rather than HWC. */
  readonly channelsFirst: boolean;
  /** Rank 4: a batch of one image. */
  readonly batched: boolean;
  readonly dtype: NumericDType;
}

/** How pixels become numbers: floats from 0 to 1, or the bytes' 0 to 255 (integer dtypes always are). */
export type PixelScale = 'unit' | 'byte';

export function imageLayout(spec: TensorSpec): ImageLayout | undefined {
  const { shape, dtype = 'float32' } = spec;
  if (!shape || (shape.length !== 3 && shape.length !== 4) || dtype === 'string' || dtype === 'float16') return;
  const batched = shape.length === 4;
  if (batched && shape[0] !== -1 && shape[0] !== 1) return;
  const [a, b, c] = shape.slice(batched ? 1 : 0) as [number, number, number];
  const isChannels = (d: number) => d === 1 || d === 3;
  // Channels last wins a tie ([3, 32, 3] is read as 3 rows of 32 RGB pixels).
  const channelsFirst = !isChannels(c) && isChannels(a);
  if (!channelsFirst && !isChannels(c)) return;
  const [height, width] = channelsFirst ? [b, c] : [a, b];
  return {
    ...(height > 0 ? { height } : {}),
    ...(width > 0 ? { width } : {}),
    channels: (channelsFirst ? a : c) as 1 | 3,
    channelsFirst,
    batched,
    dtype,
  };
}

/** RGBA pixels (as a canvas gives them) laid out as the input's tensor. */
export function pixelsToTensor(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  layout: ImageLayout,
  scale: PixelScale,
): Tensor {
  const { channels, channelsFirst, dtype } = layout;
  const pixels = width * height;
  const data = new (typedArrayFor(dtype))(pixels * channels);
  const factor = scale === 'unit' && dtype.startsWith('float') ? 1 / 255 : 1;
  const wide = dtype === 'int64' || dtype === 'uint64';
  for (let p = 0; p < pixels; p++) {
    const [r, g, b] = [rgba[4 * p]!, rgba[4 * p + 1]!, rgba[4 * p + 2]!];
    // Grey as ITU-R BT.601 luma, as most image libraries convert.
    const values = channels === 3 ? [r, g, b] : [Math.round(0.299 * r + 0.587 * g + 0.114 * b)];
    for (let c = 0; c < channels; c++) {
      const at = channelsFirst ? c * pixels + p : p * channels + c;
      const v = values[c]! * factor;
      (data as unknown as (number | bigint)[])[at] = wide ? BigInt(v) : v;
    }
  }
  const dims = channelsFirst ? [channels, height, width] : [height, width, channels];
  return tensor(data, layout.batched ? [1, ...dims] : dims, dtype);
}
