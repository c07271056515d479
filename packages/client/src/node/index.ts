/** Node-only helpers: a fetch that trusts given CAs, and a transport over node:http. */
export { type Certificates, createTlsFetch, type TlsFetchOptions } from './tls-fetch.js';
export { type NodeHttpTransportOptions, nodeHttpTransport } from './http-transport.js';
