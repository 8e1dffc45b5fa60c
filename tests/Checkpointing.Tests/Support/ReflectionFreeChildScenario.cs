using System.Text.Json;
using System.Text.Json.Serialization;

namespace Checkpointing.Tests.Support;

/// <summary>
/// <c>reflection-free &lt;dir&gt;</c>: a pipeline run in a process where reflection-based JSON serialization is disabled,
/// as under Native AOT, trimming or a .NET 10 file-based app. Results go through a source-generated context; every line
/// printed is checked by <c>ReflectionFreeSerializationTests</c>.
/// </summary>
public static class ReflectionFreeChildScenario
{
    public const string Name = "reflection-free";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 1)
        {
            await Console.Error.WriteLineAsync($"usage: child {Name} <dir>");
            return 2;
        }

        var directory = args[0];
        await Console.Out.WriteLineAsync($"reflection {(JsonSerializer.IsReflectionEnabledByDefault ? "enabled" : "disabled")}");
        var options = new CheckpointManagerOptions
        {
            CheckpointDirectory = directory,
            SerializerOptions = new JsonSerializerOptions { TypeInfoResolver = ReflectionFreeJsonContext.Default },
        };
        var artifact = Path.Combine(directory, "design.md");
        await File.WriteAllTextAsync(artifact, "# design");

        var manager = new CheckpointManager("CARD-AOT", options);
        await using (manager)
        {
            await manager.CreateCheckpointAsync(2, new Dictionary<string, object?> { ["repo"] = "example/repo" });
            await manager.RunStageAsync("design", DesignAsync(artifact, paid: true), new StageOptions { Fingerprint = "v1" });
            try
            {
                await manager.RunStageAsync<DesignResult>("build", (_, _) => throw new InvalidDataException("build broke"));
            }
            catch (InvalidDataException)
            {
                await Console.Out.WriteLineAsync("build failed");
            }

            await manager.MarkFailedAsync("build broke");
        }

        var resumed = new CheckpointManager("CARD-AOT", options);
        await using (resumed)
        {
            await resumed.ResumeAsync();
            var design = await resumed.RunStageAsync("design", DesignAsync(artifact, paid: false), new StageOptions { Fingerprint = "v1" });
            var stored = resumed.Checkpoint!;
            await Console.Out.WriteLineAsync($"design {design.Summary} {design.Components}");
            await Console.Out.WriteLineAsync($"context repo {stored.ExecutionContext["repo"].GetString()}");
            await Console.Out.WriteLineAsync($"failure {stored.Metadata["failure_reason"].GetString()}");
            await Console.Out.WriteLineAsync($"build error type {stored.StageCheckpoints["build"].Metadata["error_type"].GetString()}");
            await Console.Out.WriteLineAsync($"stored result {stored.StageCheckpoints["design"].GetResult<DesignResult>(options.SerializerOptions)!.Components}");
            await Console.Out.WriteLineAsync($"cost calls {resumed.GetCostReport().Total.Calls}");
        }

        var withoutMetadata = new CheckpointManager("CARD-AOT-2", new CheckpointManagerOptions { CheckpointDirectory = directory });
        await using (withoutMetadata)
        {
            await withoutMetadata.CreateCheckpointAsync(1);
            try
            {
                await withoutMetadata.SaveStageCheckpointAsync("s", StageStatus.Completed, result: new DesignResult("x", 1));
                await Console.Out.WriteLineAsync("saved without metadata");
            }
            catch (InvalidOperationException ex)
            {
                await Console.Out.WriteLineAsync($"missing metadata: {ex.Message.ReplaceLineEndings(" ")}");
            }

            // A JsonElement result needs no metadata, when it is saved and when it is read back.
            var element = JsonDocument.Parse("{\"summary\":\"as json\"}").RootElement;
            await withoutMetadata.RunStageAsync("json", (_, _) => Task.FromResult(element));
            var again = await withoutMetadata.RunStageAsync<JsonElement>("json", (_, _) => throw new InvalidOperationException("the completed stage ran again"));
            var stored = withoutMetadata.Checkpoint!.StageCheckpoints["json"].GetResult<JsonElement>();
            await Console.Out.WriteLineAsync($"JsonElement result {again.GetProperty("summary").GetString()} {stored.GetProperty("summary").GetString()}");
        }

        await Console.Out.WriteLineAsync("done");
        return 0;
    }

    private static Func<StageContext, CancellationToken, Task<DesignResult>> DesignAsync(string artifact, bool paid) =>
        async (stage, cancellationToken) =>
        {
            if (!paid)
            {
                throw new InvalidOperationException("the completed stage ran again");
            }

            var request = LlmRequest.ForPrompt("Propose the components", "gpt-4o");
            var answer = await stage.GetOrAddLlmResponseAsync(request, _ => Task.FromResult(
                new LlmResponse(request.PromptText, "three components") { Usage = new LlmUsage(10, 5, 0.01m, "USD") }), cancellationToken);
            stage.AddArtifact(artifact);
            return new DesignResult(answer.Response, 3);
        };
}

/// <summary>A stage result of <see cref="ReflectionFreeChildScenario"/>.</summary>
public sealed record DesignResult(string Summary, int Components);

/// <summary>The source-generated metadata <see cref="ReflectionFreeChildScenario"/> gives the manager.</summary>
[JsonSerializable(typeof(DesignResult))]
[JsonSerializable(typeof(string))]
internal sealed partial class ReflectionFreeJsonContext : JsonSerializerContext;
