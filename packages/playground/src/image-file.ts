/** An image file, decoded and resized by the browser, as an input's tensor. */
import type { Tensor } from '@graphpipe/client';
import { type ImageLayout, type PixelScale, pixelsToTensor } from './image.js';

/** Where the model takes any size, the image keeps its own, up to this many pixels a side. */
const MAX_SIDE = 1024;

export interface ImageInput {
  readonly tensor: Tensor;
  /** The pixels as sent, for a preview. */
  readonly preview: string;
  readonly width: number;
  readonly height: number;
}

/** Resized to cover the input's size and centre-cropped; transparency over white. */
export async function imageToTensor(file: Blob, layout: ImageLayout, scale: PixelScale): Promise<ImageInput> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('this file is not an image the browser can read');
  }
  const fit = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = layout.width ?? Math.max(1, Math.round(bitmap.width * fit));
  const height = layout.height ?? Math.max(1, Math.round(bitmap.height * fit));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('this browser cannot draw images');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  const cover = Math.max(width / bitmap.width, height / bitmap.height);
  const [w, h] = [bitmap.width * cover, bitmap.height * cover];
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, (width - w) / 2, (height - h) / 2, w, h);
  bitmap.close();
  const { data } = context.getImageData(0, 0, width, height);
  return { tensor: pixelsToTensor(data, width, height, layout, scale), preview: canvas.toDataURL(), width, height };
}
