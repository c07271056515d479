import { describe, expect, test } from 'vitest';
import { imageLayout, pixelsToTensor } from '../src/image.js';

describe('image-shaped inputs', () => {
  test('rank 3 or 4 with a channel axis of 1 or 3, first or last', () => {
    expect(imageLayout({ name: 'x', dtype: 'float32', shape: [-1, 3, 32, 32] })).toMatchObject({
      channels: 3,
      channelsFirst: true,
      batched: true,
      height: 32,
      width: 32,
    });
    expect(imageLayout({ name: 'x', dtype: 'uint8', shape: [-1, -1, 1] })).toEqual({
      channels: 1,
      channelsFirst: false,
      batched: false,
      dtype: 'uint8',
    });
    expect(imageLayout({ name: 'x', dtype: 'float32', shape: [-1, 4] })).toBeUndefined();
    expect(imageLayout({ name: 'x', dtype: 'float32', shape: [8, 32, 32, 3] })).toBeUndefined();
    expect(imageLayout({ name: 'x', dtype: 'string', shape: [1, 32, 32, 3] })).toBeUndefined();
    expect(imageLayout({ name: 'x', dtype: 'float32', shape: [-1, 5, 32, 32] })).toBeUndefined();
  });

  // Two pixels: red and blue, fully opaque.
  const rgba = [255, 0, 0, 255, 0, 0, 255, 255];

  test('channels first and scaled to 0..1, or channels last as bytes', () => {
    const chw = imageLayout({ name: 'x', dtype: 'float32', shape: [-1, 3, 1, 2] })!;
    const t = pixelsToTensor(rgba, 2, 1, chw, 'unit');
    expect(t.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 0, 0, 0, 0, 1]);
    const hwc = imageLayout({ name: 'x', dtype: 'float32', shape: [1, 2, 3] })!;
    expect(Array.from(pixelsToTensor(rgba, 2, 1, hwc, 'byte').data as Float32Array)).toEqual([255, 0, 0, 0, 0, 255]);
  });

  test('grey is the luma of the colour; integer dtypes keep bytes', () => {
    const grey = imageLayout({ name: 'x', dtype: 'int64', shape: [1, 2, 1] })!;
    expect(Array.from(pixelsToTensor(rgba, 2, 1, grey, 'unit').data as BigInt64Array)).toEqual([76n, 29n]);
  });
});
