export * from './image';
export * from './imresize';
export * from './color';
export * from './metrics';
export * from './bitpack';
export * from './tiling';
