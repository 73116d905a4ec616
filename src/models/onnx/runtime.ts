import { LockstepError } from '../../errors.ts';

// The few parts of onnxruntime-node that lockstep uses, typed here so that
// lockstep's own types do not depend on the optional package being installed.
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint | string | boolean>;
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches: string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}

let loading: Promise<OrtModule> | null = null;

export const MISSING_RUNTIME =
  'serving ONNX models needs onnxruntime-node, which lockstep does not install with itself ' +
  '(it ships the CPU binaries of every platform: about 110 MB to download, 330 MB on disk). ' +
  'Install it next to lockstep: npm install onnxruntime-node';

/** onnxruntime-node, imported on first use; a clear E_UNAVAILABLE when it is not installed. */
export function onnxRuntime(): Promise<OrtModule> {
  loading ??= import('onnxruntime-node')
    .then((m) => ((m as { default?: OrtModule }).default ?? m) as unknown as OrtModule)
    .catch((e) => {
      loading = null;
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        throw new LockstepError('E_UNAVAILABLE', MISSING_RUNTIME, { cause: e });
      throw new LockstepError('E_UNAVAILABLE', `onnxruntime-node does not load: ${(e as Error).message}`, {
        cause: e,
      });
    });
  return loading;
}
