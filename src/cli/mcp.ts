// `contree mcp [--http [--port N]]`: the Model Context Protocol server (src/mcp), for agent hosts
// that speak MCP. The SDK and the server code load only for this command.

import { contreeHome } from "../config/profiles.ts";
import { Option } from "../deps.ts";
import { manualSections, topicNames } from "./agent.ts";
import { port } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";
import { mcpDeps } from "./wiring.ts";

/** The port of `contree mcp --http` when none is given (contree-mcp's). */
export const DEFAULT_MCP_PORT = 9452;

export function registerMcp(program: RootCommand, run: Runner): void {
  program
    .command("mcp")
    .description("serve the Model Context Protocol (stdio, or --http on 127.0.0.1) for agent hosts")
    .option("--http", "serve Streamable HTTP on 127.0.0.1 (bearer token) instead of stdio")
    .addOption(
      new Option("--port <port>", "port of --http (0 = any free port)")
        .argParser(port)
        .default(DEFAULT_MCP_PORT),
    )
    .addHelpText(
      "after",
      "\nRegister it in an agent host as the command `contree` with the argument `mcp` " +
        "(stdio).\nWith --http the token is kept in $CONTREE_HOME/mcp/token (0600) and " +
        "printed on stderr.\n",
    )
    .action((options) =>
      run(async (app) => {
        const guides = manualSections(program).map((section) => {
          const [name, ...aliases] = topicNames(section.title);
          return { name, aliases, title: section.title, text: section.body };
        });
        const { serveMcp } = await import("../mcp/serve.ts");
        return await serveMcp(mcpDeps(app, guides), {
          http: options.http === true,
          port: options.port,
          tokenPath: `${contreeHome(app.ctx.env, app.ctx.home)}/mcp/token`,
        });
      })
    );
}
