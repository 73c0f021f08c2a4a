/** Request schemas for accounts: register, login, passwd, tokens, cancel, admin perms. */
import { z } from 'zod';

const required = (field = 'This field') => ({ error: `${field} is required.` });

/** Django's username rule. */
export const USERNAME_RE = /^[\w.@+-]+$/;

export const username = z
  .string(required())
  .min(1, 'This field may not be blank.')
  .max(150, 'Ensure this field has no more than 150 characters.')
  .regex(
    USERNAME_RE,
    'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  );

const password = z
  .string(required())
  .min(1, 'This field may not be blank.')
  .max(128, 'Ensure this field has no more than 128 characters.');

export const RegisterRequest = z.object({
  username,
  password,
  email: z
    .union([z.literal(''), z.email('Enter a valid email address.')], {
      error: 'Enter a valid email address.',
    })
    .default(''),
  first_name: z.string().max(150, 'Ensure this field has no more than 150 characters.').optional(),
  last_name: z.string().max(150, 'Ensure this field has no more than 150 characters.').optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const LoginRequest = z.object({ username: z.string(required()), password: z.string(required()) });

export const PasswdRequest = z.object({
  username: username.optional(),
  password: z.string().optional(),
  new_password: password,
});

export const TokensRequest = z.object({ username: username.optional(), all: z.boolean().optional() });

export const CancelRequest = z.object({ username: username.optional() });

export const UsernameRequest = z.object({ username });
