export const message = 'hello v1';
