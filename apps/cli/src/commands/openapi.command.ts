import { Command, CommandRunner } from 'nest-commander';
import { createOpenApiDocument } from '../../../api/src/openapi';
import { CliSettings } from '../cli-settings';

/**
 * The API's OpenAPI document on stdout, as `/docs-json` serves it: built by the same
 * function, from the API's module in preview mode, so no database starts.
 */
@Command({
  name: 'openapi',
  description: 'print the OpenAPI document (JSON) without starting a database',
})
export class OpenApiCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  run(): Promise<void> {
    return this.cli.run(async () => {
      const document = await createOpenApiDocument();
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    });
  }
}
