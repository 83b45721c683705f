import { z } from 'zod';

/** Wix app instance ids are GUIDs. */
export const InstanceId = z.guid().transform((s) => s.toLowerCase());
