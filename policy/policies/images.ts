// Images: pinned to a version, from an allowed registry, and pulled so that a re-pushed tag cannot leave nodes
// running different builds of the same reference.
import type { Policies } from "@pulumi/policy";
import { ExemptNamespacesConfig, podPolicy } from "../lib/define";
import { allContainers, ContainerRef, quoteList } from "../lib/k8s";

interface ImageReference {
  /** Repository with its registry made explicit, e.g. `docker.io/library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
}

function parseImage(image: string): ImageReference {
  const [nameAndTag, digest] = image.split("@", 2);
  const slash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.lastIndexOf(":");
  const hasTag = colon > slash;
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const first = name.split("/")[0];
  const hasRegistry = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const repository = hasRegistry ? name : `docker.io/${name.includes("/") ? name : `library/${name}`}`;
  return { repository, tag: hasTag ? nameAndTag.slice(colon + 1) : undefined, digest };
}

/** The containers that name an image, with it parsed. */
function images(refs: ContainerRef[]): Array<ContainerRef & { image: string; reference: ImageReference }> {
  return refs.flatMap((ref) => (typeof ref.container.image === "string" ? [{ ...ref, image: ref.container.image, reference: parseImage(ref.container.image) }] : []));
}

function tagProblem({ label, image, reference: { repository, tag, digest } }: ReturnType<typeof images>[number]): string[] {
  if (digest) {
    return [];
  }
  if (tag === undefined) {
    return [`${label} image "${image}" has no tag; pin a version tag (${repository.split("/").at(-1)}:<version>) or a digest (@sha256:…)`];
  }
  return tag === "latest" ? [`${label} image "${image}" uses the latest tag; pin a version tag or a digest (@sha256:…)`] : [];
}

const imageTagPinned = podPolicy({
  name: "image-tag-pinned",
  description: "Container images must be pinned: use an explicit version tag other than latest, or a digest (@sha256:…).",
  severity: "high",
  counterparts: { polaris: ["tagNotSpecified"], kubeLinter: ["latest-tag"], kubeScore: ["container-image-tag"] },
  check: (pod) => images(allContainers(pod.spec)).flatMap(tagProblem),
});

interface RegistryConfig extends ExemptNamespacesConfig {
  allowedRegistries?: string[];
}

function fromRegistry(repository: string, prefix: string): boolean {
  const trimmed = prefix.replace(/\/+$/, "");
  return repository === trimmed || repository.startsWith(`${trimmed}/`);
}

const imageRegistryAllowed = podPolicy<RegistryConfig>({
  name: "image-registry-allowed",
  description: "Container images must come from an allowed registry: use an image whose repository starts with one of the allowedRegistries in this policy's config.",
  severity: "high",
  counterparts: {},
  config: {
    allowedRegistries: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      default: [],
      description: "Registry or repository prefixes images may come from, e.g. ghcr.io/acme; an empty list allows any registry. Docker Hub images are docker.io/library/<name>.",
    },
  },
  check: (pod, { allowedRegistries = [] }) =>
    allowedRegistries.length === 0
      ? []
      : images(allContainers(pod.spec))
          .filter(({ reference }) => !allowedRegistries.some((prefix) => fromRegistry(reference.repository, prefix)))
          .map(({ label, image }) => `${label} image "${image}" is not from an allowed registry; use an image from ${quoteList(allowedRegistries)}`),
});

/** The policy the kubelet applies when none is set: Always for latest or no tag, IfNotPresent otherwise. */
function effectivePullPolicy(explicit: string | undefined, { tag }: ImageReference): string {
  return explicit ?? (tag === undefined || tag === "latest" ? "Always" : "IfNotPresent");
}

const imagePullPolicy = podPolicy({
  name: "image-pull-policy",
  description: "A container whose image is a tag rather than a digest must be pulled with imagePullPolicy: Always, so every node runs the build the tag names now: set imagePullPolicy: Always, or pin the image by digest (@sha256:…).",
  severity: "medium",
  counterparts: { polaris: ["pullPolicyNotAlways"], kubeScore: ["container-image-pull-policy"] },
  check: (pod) =>
    images(allContainers(pod.spec))
      .filter(({ reference }) => !reference.digest)
      .flatMap(({ container, label, image, reference }) => {
        const policy = effectivePullPolicy(container.imagePullPolicy, reference);
        return policy === "Always"
          ? []
          : [
              `${label} pulls the mutable tag "${image}" with imagePullPolicy ${policy}${container.imagePullPolicy === undefined ? " (the default)" : ""}; set imagePullPolicy: Always or pin the image by digest`,
            ];
      }),
});

export const imagePolicies: Policies = [imageTagPinned, imageRegistryAllowed, imagePullPolicy];
