// The app .ci/check-readytorun runs: "write DIR" stores a small run; "resume DIR" resumes it in a fresh process and
// prints (to stderr: stdout carries the JIT's summary) which Checkpointing.dll the host loaded and whether that file
// carries ReadyToRun code. The script counts
// the library's methods the JIT compiled (DOTNET_JitStdOutFile + DOTNET_JitDisasmSummary) with and without
// ReadyToRun code, so it sees whether the runtime used the precompiled code or rejected it.
using System.Reflection.PortableExecutable;
using Checkpointing;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ReadyToRunCheck write|resume DIR");
    return 2;
}

var options = new CheckpointManagerOptions { CheckpointDirectory = args[1] };
if (args[0] == "write")
{
    await using var writer = new CheckpointManager("R2R-1", options);
    await writer.ResumeOrCreateAsync(totalStages: 3);
    foreach (var stage in new[] { "plan", "build" })
    {
        var response = new LlmResponse($"Write the {stage} notes", $"The {stage} notes.") { Model = "m" };
        await writer.CacheLlmResponseAsync(stage, response);
        await writer.SaveStageCheckpointAsync(stage, StageStatus.Completed, result: new { stage }, llmResponses: [response]);
    }

    return 0;
}

await using (var manager = new CheckpointManager("R2R-1", options))
{
    var resumed = await manager.ResumeAsync() ?? throw new InvalidOperationException("nothing to resume");
    if (resumed.CompletedStages.Count != 2 || manager.GetCachedLlmResponse("build", "Write the build notes", model: "m") is null)
    {
        throw new InvalidOperationException("the resumed run is not the one written");
    }
}

var location = typeof(CheckpointManager).Assembly.Location;
using var file = File.OpenRead(location);
using var pe = new PEReader(file);
var readyToRun = pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
Console.Error.WriteLine($"loaded {Path.GetRelativePath(AppContext.BaseDirectory, location)}");
Console.Error.WriteLine($"image {(readyToRun ? "readytorun" : "il")}");
return 0;
