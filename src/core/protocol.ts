/** The evaluation protocol's LR maker (docs/protocol.md), shared by the app and the Node evaluation. */
import { quantize8, type Region, type RgbImage } from './image';
import { imresize } from './imresize';

/**
 * The LR input the protocol feeds every model: 8-bit MATLAB bicubic of the HR, read from `region`
 * of `img` (the top-left mod-crop, in place: no copy; the whole image by default).
 */
export function makeLr(img: RgbImage, scale: number, region: Region = img): RgbImage {
  return quantize8(imresize(img, 1 / scale, undefined, region));
}
