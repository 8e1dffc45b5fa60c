using System.Diagnostics;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Sqlite.Tests;

/// <summary>Real processes on one database: an owner killed with SIGKILL, and writers in separate processes.</summary>
public sealed class SqliteCrashTests(ITestOutputHelper output) : SqliteTestBase
{
    [Fact]
    public async Task OwnerKilledWithSigkill_ItsWritesSurvive_AndTheCardIsFreeOnceTheLeaseExpires()
    {
        const int LeaseMs = 1_500;
        using var child = ChildProcess.Start("hold", Database.Path, "CARD-1", LeaseMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await child.WaitForLineAsync("ready", TimeSpan.FromSeconds(60));
        var repository = Open();

        Raw.Text(Database.Path, "SELECT owner_id FROM card_owners WHERE card_id = 'CARD-1'").Should().Contain($"/{child.Process.Id}/");
        await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        await FluentActions.Awaiting(() => repository.SaveAsync(CheckpointSamples.Minimal("CARD-1", 3))).Should().ThrowAsync<CheckpointLockedException>();

        child.KillHard();
        var watch = Stopwatch.StartNew();
        await using var ownership = await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.FromSeconds(30));
        output.WriteLine($"card free {watch.ElapsedMilliseconds} ms after SIGKILL (lease {LeaseMs} ms)");

        watch.Elapsed.Should().BeLessThan(TimeSpan.FromMilliseconds(LeaseMs + 5_000), "a dead owner blocks its card for at most its lease");
        var stored = (await repository.LoadAsync("CARD-1"))!;
        stored.Version.Should().Be(2);
        stored.CurrentStage.Should().Be("written by the child", "a write that returned is durable, even when its process is killed");
    }

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
                var line = await child.Process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
                await child.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                child.Process.ExitCode.Should().Be(0, await child.Process.StandardError.ReadToEndAsync());
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
