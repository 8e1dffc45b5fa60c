using Checkpointing.Testing;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Sqlite.Tests;

/// <summary>Real processes on one database: writers in separate processes (owners killed with SIGKILL: <see cref="SqliteTakeoverTests"/>).</summary>
public sealed class SqliteCrashTests(ITestOutputHelper output) : SqliteTestBase
{
    [Fact]
    public async Task WritersInSeparateProcesses_KeepEveryUpdate()
    {
        const int Writers = 3;
        const int Updates = 20;
        var repository = Open();
        await repository.SaveAsync(CheckpointSamples.Minimal("CARD-1"));

        var children = Enumerable.Range(0, Writers)
            .Select(w => ChildProcess.Start("write", Database.Path, "CARD-1", $"writer-{w}", Updates.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToArray();
        try
        {
            foreach (var child in children)
            {
                var line = await child.WaitForFirstLineAsync(TimeSpan.FromSeconds(120));
                (await child.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0, child.Describe());
                output.WriteLine(line);
            }
        }
        finally
        {
            foreach (var child in children)
            {
                child.Dispose();
            }
        }

        var stored = (await Open().LoadAsync("CARD-1"))!;
        stored.Version.Should().Be(1 + (Writers * Updates));
        for (var w = 0; w < Writers; w++)
        {
            stored.PendingLlmResponses[$"writer-{w}"].Select(r => r.Prompt).Should().Equal(Enumerable.Range(0, Updates).Select(u => $"writer-{w} update {u}"));
        }
    }
}
