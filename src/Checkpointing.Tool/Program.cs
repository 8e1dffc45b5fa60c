using Checkpointing.Tool.Cli;

return await ToolApp.RunAsync(args).ConfigureAwait(false);
