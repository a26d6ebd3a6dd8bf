/** Errno values of x86-64 (rule book §0 "Outcomes"); functions return them negated. */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EBUSY: 16,
  ENODEV: 19, EINVAL: 22, EDEADLK: 35, ETIME: 62, EOVERFLOW: 75, EOPNOTSUPP: 95,
  ETIMEDOUT: 110, EALREADY: 114, ERESTARTSYS: 512,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export const MAX_ERRNO = 4095;

/** `-ENODEV` style text of a negative return value, or the number itself. */
export function errnoText(ret: number): string {
  if (ret >= 0) return String(ret);
  for (const [k, v] of Object.entries(ERRNO)) if (v === -ret) return `-${k}`;
  return String(ret);
}
