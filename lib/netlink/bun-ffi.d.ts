// The part of Bun's `bun:ffi` this layer uses (libc.ts), declared here so that `tsc` under Node
// type-checks without Bun's type package. Only libc.ts loads the module, and only under Bun.
declare module 'bun:ffi' {
  export type FFITypeName = 'void' | 'i32' | 'u32' | 'i64_fast' | 'u64_fast' | 'ptr' | 'usize';

  export interface FFIFunctionDef {
    readonly args: readonly FFITypeName[];
    readonly returns: FFITypeName;
  }

  export interface Library<Fns extends Record<string, FFIFunctionDef>> {
    readonly symbols: { [K in keyof Fns]: (...args: unknown[]) => unknown };
    close(): void;
  }

  export function dlopen<Fns extends Record<string, FFIFunctionDef>>(name: string, symbols: Fns): Library<Fns>;

  export const read: {
    i32(ptr: number, byteOffset?: number): number;
  };
}
