/**
 * 4 or 6, as in Spiderpool's `spec.ipVersion`. In a file of its own because both the address
 * parser and its error values name it, and neither may import the other back.
 */
export type IpFamily = 4 | 6;
