/** An ONNX file's metadata_props (shared by the eval CLI, the build and the app). */
import { decodeModel } from './onnxProto';

/** Throws "not an ONNX model ..." for bytes that are not a (complete) ONNX model. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  return decodeModel(bytes).metadata;
}
