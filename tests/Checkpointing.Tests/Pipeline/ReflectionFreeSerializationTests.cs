using System.Text.Json.Nodes;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Pipeline;

/// <summary>
/// The library works where reflection-based JSON serialization is disabled (Native AOT, trimming, .NET 10 file-based
/// apps): a real child process runs with the runtime switch off, so any reflection the library itself relied on fails.
/// </summary>
public sealed class ReflectionFreeSerializationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task PipelineWithSourceGeneratedResults_RunsFailsResumesAndReportsCosts_WithoutReflection()
    {
        using var child = ChildProcess.StartWithRuntimeConfig(WriteRuntimeConfigWithoutReflection(), ReflectionFreeChildScenario.Name, _temp.Path);
        var exitCode = await child.WaitForExitAsync(TimeSpan.FromMinutes(1));
        var output = string.Join('\n', child.Lines);

        exitCode.Should().Be(0, $"{output}\n{child.StandardError}");
        child.Lines.Should().ContainInOrder(
            "reflection disabled",
            "build failed",
            "design three components 3",
            "context repo example/repo",
            "failure build broke",
            "build error type System.IO.InvalidDataException",
            "stored result 3",
            "cost calls 1");
        child.Lines.Should().ContainSingle(line => line.StartsWith("missing metadata: ", StringComparison.Ordinal))
            .Which.Should().Contain("DesignResult").And.Contain("CheckpointManagerOptions.SerializerOptions").And.Contain("JsonSerializerContext");
        child.Lines.Should().ContainInOrder("JsonElement result as json as json", "done");
    }

    /// <summary>This assembly's runtime configuration with <c>System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault</c> off.</summary>
    private string WriteRuntimeConfigWithoutReflection()
    {
        var source = Path.ChangeExtension(typeof(ReflectionFreeSerializationTests).Assembly.Location, ".runtimeconfig.json");
        var config = JsonNode.Parse(File.ReadAllText(source))!.AsObject();
        var runtimeOptions = config["runtimeOptions"]!.AsObject();
        if (runtimeOptions["configProperties"] is not JsonObject properties)
        {
            runtimeOptions["configProperties"] = properties = [];
        }

        properties["System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault"] = false;
        var path = _temp.Combine("without-reflection.runtimeconfig.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }
}
