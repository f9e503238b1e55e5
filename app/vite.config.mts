/**
 * Vite config of the LP app. `npm run app` serves it (dev), `npm run app:build` builds it to app/dist, and
 * `npm run app:preview` serves the build. Both servers answer /deployments/<network>.json from the repository's
 * deployments/ folder (or $APP_DEPLOYMENTS_DIR), which is where `npm run deploy:local` writes the addresses.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { IncomingMessage, ServerResponse } from "node:http";
import { defineConfig, type Connect, type Plugin } from "vite";

const APP_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(APP_DIR, "..");

/** Serves <dir>/<network>.json at /deployments/<network>.json; nothing else of the folder. */
function serveDeployments(): Plugin {
  const directory = path.resolve(
    process.env.APP_DEPLOYMENTS_DIR ?? path.join(REPO_ROOT, "deployments"),
  );
  const middleware: Connect.NextHandleFunction = (
    request: IncomingMessage,
    response: ServerResponse,
    next: Connect.NextFunction,
  ) => {
    const match = /^\/deployments\/([\w-]+\.json)(\?.*)?$/.exec(
      request.url ?? "",
    );
    if (match === null) return next();
    const file = path.join(directory, match[1]);
    response.setHeader("Cache-Control", "no-store");
    if (!existsSync(file)) {
      response.statusCode = 404;
      const network = match[1].replace(/\.json$/, "");
      const deploy =
        network === "localhost"
          ? "npm run node, then npm run deploy:local"
          : network === "sepolia"
            ? "npm run deploy:sepolia"
            : `npx hardhat run scripts/deploy.ts --network ${network}`;
      response.end(`no ${match[1]} in ${directory}: deploy first (${deploy})`);
      return;
    }
    response.setHeader("Content-Type", "application/json");
    response.end(readFileSync(file));
  };
  return {
    name: "mutual-pools-deployments",
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

export default defineConfig({
  root: APP_DIR,
  // Relative asset URLs: the build works from any path of any static host.
  base: "./",
  plugins: [serveDeployments()],
  build: {
    outDir: path.join(APP_DIR, "dist"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1_200,
  },
  server: { port: 5173, strictPort: false, fs: { allow: [REPO_ROOT] } },
  preview: { port: 4173 },
});
