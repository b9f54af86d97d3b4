/**
 * Every third-party image, pinned by tag in one place so an upgrade is one reviewed line. The service's own image
 * comes from config: `imageRepository` (one for every stack, Pulumi.yaml) and each stack's `image.tag`.
 */
export const images = {
  /** CloudNativePG's operand image (PostgreSQL and nothing else; backups run in the Barman Cloud plugin's sidecar). */
  cnpgPostgres: { repository: "ghcr.io/cloudnative-pg/postgresql", tag: "17.6-standard-trixie" },
  redis: { repository: "redis", tag: "7.4.5-alpine3.21" },
  postgresExporter: { repository: "quay.io/prometheuscommunity/postgres-exporter", tag: "v0.17.1" },
  redisExporter: { repository: "docker.io/oliver006/redis_exporter", tag: "v1.75.0" },
} as const;

export type ThirdPartyImage = keyof typeof images;

function imageRef(image: { repository: string; tag: string }): string {
  return `${image.repository}:${image.tag}`;
}

/**
 * A third-party container's image and pull policy. The tags are versions, but their publishers re-push them
 * (base image rebuilds for security fixes), so every pod start pulls: otherwise nodes that cached the tag
 * earlier keep running an older build than the others.
 */
export function thirdPartyImage(image: { repository: string; tag: string }) {
  return { image: imageRef(image), imagePullPolicy: "Always" };
}

/**
 * The numeric users the images run as. The service's comes from `USER 10001:10001` in service/Dockerfile; the
 * others are the users their images create (redis alpine: 999; nobody elsewhere), so
 * files on their volumes stay readable after `fsGroup` applies.
 */
export const imageUsers = {
  service: 10001,
  redis: 999,
  postgresExporter: 65534,
  redisExporter: 59000,
} as const;
