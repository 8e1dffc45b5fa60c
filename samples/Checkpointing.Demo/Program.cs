using Checkpointing.Demo;

// Without arguments: the whole story (a worker process crashes mid-stage, a second one resumes it).
// With --worker: one run of the pipeline, as the story's child processes do.
if (DemoOptions.Parse(args) is not { } options)
{
    Console.Error.WriteLine($"invalid arguments: {string.Join(' ', args)}");
    Console.Error.WriteLine(DemoOptions.Usage);
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(DemoOptions.Usage);
    return 0;
}

return options.IsWorker
    ? await Worker.RunAsync(options)
    : await Story.RunAsync(options);
