/** Checks the benches share before starting a browser: the models folder and the --json path. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function checkModelsAndJson(models: string, json: string | undefined): void {
  if (![2, 3, 4].every((s) => existsSync(join(models, `bitsr-x${s}.onnx`)))) throw new Error(`--models ${models} must hold bitsr-x2/x3/x4.onnx`);
  if (json && existsSync(json) && statSync(json).isDirectory()) throw new Error(`--json ${json} is a directory`);
  if (json && !existsSync(dirname(json))) throw new Error(`--json: folder ${dirname(json)} does not exist`);
}
