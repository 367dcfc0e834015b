/**
 * Where the published Graph v1.0 CSDL lives on this machine: a copy vendored next to the tests if
 * there is one, else the shared reference copy. The schema tests fail (not skip) if neither exists.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The repository is checked out next to shared/ (here and in CI): ../shared/graph/ from its root.
const CANDIDATES = [
  ...(process.env.GRAPH_CSDL ? [process.env.GRAPH_CSDL] : []),
  fileURLToPath(new URL('../fixtures/graph-v1.0-cleanMetadata.xml', import.meta.url)),
  fileURLToPath(new URL('../../../../../shared/graph/v1.0-cleanMetadata.xml', import.meta.url)),
];

export function graphCsdlPath(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found)
    throw new Error(
      `Graph CSDL not found; looked in ${CANDIDATES.join(', ')}. Put Microsoft's published ` +
        'clean_v10_metadata/cleanMetadata.xml (github.com/microsoftgraph/msgraph-metadata) at one of ' +
        'those paths, or give its path in GRAPH_CSDL (README, "Tests").',
    );
  return found;
}
