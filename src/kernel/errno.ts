/** Errno values of x86-64 (rule book §0 "Outcomes"); functions return them negated. */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EBUSY: 16,
  ENODEV: 19, EINVAL: 22, EDEADLK: 35, ETIME: 62, EOVERFLOW: 75, EOPNOTSUPP: 95,
  ETIMEDOUT: 110, EALREADY: 114, ERESTARTSYS: 512,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export const MAX_ERRNO = 4095;

const TEXT_OF = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [-v, `-${k}`]));

/** `-ENODEV` style text of a negative return value, or the number itself (every step's result passes here). */
export function errnoText(ret: number): string {
  return TEXT_OF.get(ret) ?? String(ret);
}
