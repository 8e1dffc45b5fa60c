using System.Runtime.CompilerServices;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Manager;

/// <summary>
/// A manager keeps the texts of the responses it records as UTF-8 of its own, not the caller's strings: a long run's
/// answers are then a few large buffers the collector never copies, and the strings die young. Whatever it keeps, the
/// answers read back, write and look up the same.
/// </summary>
public sealed class ResponseTextRetentionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public enum RecordedBy
    {
        StageSave,
        WriteAhead,
        GetOrAdd,
    }

    [Theory]
    [InlineData(RecordedBy.StageSave)]
    [InlineData(RecordedBy.WriteAhead)]
    [InlineData(RecordedBy.GetOrAdd)]
    public async Task RecordedResponses_DoNotKeepTheCallersStrings_AndReadBackTheSame(RecordedBy path)
    {
        await using var manager = new CheckpointManager("CARD-1", new FileSystemCheckpointRepository(_directory.Path), new CheckpointManagerOptions());
        await manager.CreateCheckpointAsync(2);

        var (prompt, answer, expectedPrompt, expectedAnswer) = await RecordAsync(manager, path);
        Collect();

        prompt.IsAlive.Should().BeFalse("the manager keeps the prompt as UTF-8 of its own");
        answer.IsAlive.Should().BeFalse("the manager keeps the answer as UTF-8 of its own");
        var found = manager.GetCachedLlmResponse("build", expectedPrompt);
        found.Should().NotBeNull();
        found!.Response.Should().Be(expectedAnswer);
        if (path != RecordedBy.WriteAhead)
        {
            manager.Checkpoint!.StageCheckpoints["build"].LlmResponses.Should().ContainSingle().Which.Prompt.Should().Be(expectedPrompt);
        }

        await manager.DisposeAsync();
        await using var resumed = new CheckpointManager("CARD-1", new FileSystemCheckpointRepository(_directory.Path), new CheckpointManagerOptions());
        await resumed.ResumeOrCreateAsync(2);
        resumed.GetCachedLlmResponse("build", expectedPrompt)!.Response.Should().Be(expectedAnswer);
    }

    [Fact]
    public async Task AnswerWrittenAheadAndSavedWithItsStage_IsRecordedOnce_AndStaysUndecoded()
    {
        await using var manager = new CheckpointManager("CARD-1", new InMemoryCheckpointRepository(), new CheckpointManagerOptions());
        await manager.CreateCheckpointAsync(2);
        var response = new LlmResponse("p \u00e9", "a\n") { Model = "m" };

        await manager.CacheLlmResponseAsync("build", response);
        await manager.SaveStageCheckpointAsync("build", StageStatus.Completed, llmResponses: [response, response with { Model = "other" }]);

        var recorded = manager.Checkpoint!.StageCheckpoints["build"].LlmResponses;
        recorded.Select(r => r.Model).Should().Equal("m", "other");
        recorded.Select(r => r.TryGetStoredPrompt(out _) && r.TryGetStoredText(out _)).Should().OnlyContain(stored => stored, "merging compared the bytes, not decoded strings");
        recorded[0].Should().Be(response);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Prompt, WeakReference Answer, string ExpectedPrompt, string ExpectedAnswer)> RecordAsync(CheckpointManager manager, RecordedBy path)
    {
        // Built at run time, so neither is an interned literal that outlives the test anyway.
        var prompt = string.Concat("review ", Guid.NewGuid().ToString(), new string('p', 3000), " \u00e9\n");
        var answer = string.Concat("answer ", Guid.NewGuid().ToString(), new string('a', 5000), " \"q\"");
        var response = new LlmResponse(prompt, answer) { Model = "m" };
        switch (path)
        {
            case RecordedBy.StageSave:
                await manager.SaveStageCheckpointAsync("build", StageStatus.Completed, llmResponses: [response]);
                break;
            case RecordedBy.WriteAhead:
                await manager.CacheLlmResponseAsync("build", response);
                break;
            default:
                var returned = await manager.GetOrAddLlmResponseAsync("build", LlmRequest.ForPrompt(prompt), _ => Task.FromResult(response));
                returned.Response.Should().BeSameAs(answer, "the caller gets its own answer back");
                await manager.SaveStageCheckpointAsync("build", StageStatus.Completed, llmResponses: [returned]);
                break;
        }

        return (new WeakReference(prompt), new WeakReference(answer), new string(prompt.AsSpan()), new string(answer.AsSpan()));
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
