using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tool.Tests;

/// <summary>rewind, prune, clear and compact on every store: done as the card's owner, refused on an owned card.</summary>
public sealed class WriteCommandTests : IDisposable
{
    private static readonly string[] Stages = ["plan", "build", "test", "ship"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Kinds() => ["file", "sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Rewind_FromAStage_ThatStageAndLaterOnesRunAgain_AnswersStayCached(string kind)
    {
        var store = await TestStore.OfKindAsync(kind, _dir);
        await store.WithAsync(r => RecordRunAsync(r, "card", completed: true));

        var dry = await ToolProcess.RunAsync("rewind", "card", "--from", "build", "--dry-run", "--store", store.Spec);
        var unchanged = await store.WithAsync(r => r.LoadAsync("card"));
        var result = await ToolProcess.RunAsync("rewind", "card", "--from", "build", "--store", store.Spec);

        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Stdout.Should().Contain("would rewind").And.Contain("build, test, ship");
        unchanged!.Status.Should().Be(CheckpointStatus.Completed, "a dry run changes nothing");
        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain("rewound card 'card' from stage 'build'").And.Contain("3 LLM responses kept cached");
        var rewound = (await store.WithAsync(r => r.LoadAsync("card")))!;
        rewound.Version.Should().Be(unchanged.Version + 1, "the rewind is one change");
        rewound.Status.Should().Be(CheckpointStatus.Paused);
        rewound.CompletedStages.Should().Equal("plan");
        rewound.StageCheckpoints.Keys.Should().Equal("plan");
        rewound.PendingLlmResponses.Keys.Should().BeEquivalentTo("build", "test", "ship");

        var resumed = await store.WithAsync(async r =>
        {
            await using var manager = new CheckpointManager("card", r);
            await manager.ResumeOrCreateAsync(Stages.Length);
            var next = manager.GetNextStage(Stages);
            var answer = await manager.GetOrAddLlmResponseAsync("build", new LlmRequest { Prompt = "prompt build" }, _ => throw new InvalidOperationException("paid again"));
            return (next, answer.Response);
        });
        resumed.Should().Be(("build", "answer build"), "the rewound stage runs again and its answer comes from the cache");
    }

    [Fact]
    public async Task Rewind_DropLlmCache_ForgetsTheAnswers_AndAnUnknownStageIsRefused()
    {
        var store = TestStore.File(_dir);
        await store.WithAsync(r => RecordRunAsync(r, "card", completed: false));

        var unknown = await ToolProcess.RunAsync("rewind", "card", "--from", "deploy", "--store", store.Spec);
        var one = await ToolProcess.RunAsync("rewind", "card", "--from", "ship", "--dry-run", "--store", store.Spec);
        var dropped = await ToolProcess.RunAsync("rewind", "card", "--from", "test", "--drop-llm-cache", "--store", store.Spec);

        unknown.ExitCode.Should().Be(1);
        unknown.ErrorLines.Should().ContainSingle().Which.Should().Contain("no record of stage 'deploy'").And.Contain("plan, build, test, ship");
        one.Stdout.Should().Contain("1 LLM response kept cached", "one, not '1 LLM responses'");
        dropped.ExitCode.Should().Be(0, dropped.ToString());
        var rewound = (await store.WithAsync(r => r.LoadAsync("card")))!;
        rewound.StageCheckpoints.Keys.Should().Equal("plan", "build");
        rewound.PendingLlmResponses.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task WriteCommands_OnAnOwnedCard_AreRefusedNamingTheOwner_AndChangeNothing(string kind)
    {
        var store = await TestStore.OfKindAsync(kind, _dir);
        var repository = store.Open();
        await RecordRunAsync(repository, "owned", completed: false);
        var before = CheckpointJson.SerializeCheckpoint((await repository.LoadAsync("owned"))!);
        var ownership = await repository.AcquireOwnershipAsync("owned", TimeSpan.Zero);

        var results = new[]
        {
            await ToolProcess.RunAsync("rewind", "owned", "--from", "build", "--store", store.Spec),
            await ToolProcess.RunAsync("clear", "owned", "--store", store.Spec),
            await ToolProcess.RunAsync("compact", "owned", "--store", store.Spec),
            await ToolProcess.RunAsync("prune", "--status", "active", "--store", store.Spec),
        };

        foreach (var result in results)
        {
            result.ExitCode.Should().Be(1, result.ToString());
            var line = result.ErrorLines.Should().ContainSingle().Which;
            line.Should().Contain("'owned' ", result.ToString()).And.Contain("owned by ")
                .And.NotContain("LockTimeout").And.NotContain("AcquireOwnershipAsync");
            if (kind == "sqlite")
            {
                line.Should().Contain($"process {Environment.ProcessId}", "SQLite knows the owner's process");
            }
            else if (kind == "file")
            {
                line.Should().Contain("another process (lock file ", "the file store knows only the lock file");
            }
        }

        foreach (var refused in results[..3])
        {
            refused.ErrorLines[0].Should().StartWith("checkpointing: card 'owned' is owned by ")
                .And.EndWith("; nothing was changed; retry when it has finished, or stop it.");
        }

        results[3].ErrorLines[0].Should().StartWith("checkpointing: 'owned' left alone: owned by ");

        CheckpointJson.SerializeCheckpoint((await repository.LoadAsync("owned"))!).Should().Equal(before);
        await ownership.DisposeAsync();
        if (repository is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Prune_ByStatus_DryRunListsAndDeletesNothing_ThenDeletes(string kind)
    {
        var store = await TestStore.OfKindAsync(kind, _dir);
        await store.WithAsync(async r =>
        {
            await RecordRunAsync(r, "done-1", completed: true);
            await RecordRunAsync(r, "done-2", completed: true);
            await RecordRunAsync(r, "running", completed: false);
            return true;
        });

        var dry = await ToolProcess.RunAsync("prune", "--status", "completed", "--dry-run", "--store", store.Spec);
        var kept = await store.WithAsync(r => r.ListCardIdsAsync());
        var keepLast = await ToolProcess.RunAsync("prune", "--status", "completed", "--keep-last", "1", "--store", store.Spec);
        var left = await store.WithAsync(r => r.ListCardIdsAsync());

        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Stdout.Should().Contain("would delete 'done-1'").And.Contain("would delete 'done-2'").And.NotContain("running");
        kept.Should().BeEquivalentTo("done-1", "done-2", "running");
        keepLast.ExitCode.Should().Be(0, keepLast.ToString());
        keepLast.Stdout.Should().Contain("1 run deleted");
        left.Should().HaveCount(2).And.Contain("running");
    }

    [Fact]
    public async Task Prune_WithoutCriterion_IsAUsageError()
    {
        var result = await ToolProcess.RunAsync("prune", "--store", ("file:" + _dir.Path));

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("--status, --older-than or --keep-last");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ClearAndCompact_DoWhatTheLibraryDoes(string kind)
    {
        var store = await TestStore.OfKindAsync(kind, _dir);
        await store.WithAsync(r => RecordRunAsync(r, "card", completed: false));
        var before = await store.WithAsync(r => r.LoadAsync("card"));

        var compact = await ToolProcess.RunAsync("compact", "card", "--store", store.Spec);
        var afterCompact = await store.WithAsync(r => r.LoadAsync("card"));
        var clear = await ToolProcess.RunAsync("clear", "card", "--store", store.Spec);
        var clearAgain = await ToolProcess.RunAsync("clear", "card", "--store", store.Spec);

        compact.ExitCode.Should().Be(0, compact.ToString());
        CheckpointJson.SerializeCheckpoint(afterCompact!).Should().Equal(CheckpointJson.SerializeCheckpoint(before!));
        if (kind == "file")
        {
            File.Exists(_dir.Combine("card.journal")).Should().BeFalse("compaction folds the journal into the document");
        }

        clear.ExitCode.Should().Be(0, clear.ToString());
        (await store.WithAsync(r => r.ExistsAsync("card"))).Should().BeFalse();
        clearAgain.ExitCode.Should().Be(1);
        clearAgain.ErrorLines.Should().ContainSingle().Which.Should().Contain("has no checkpoint");
    }

    /// <summary>Records a run of <see cref="Stages"/> with one LLM answer per stage, left open (journal/changes) unless completed.</summary>
    internal static async Task<bool> RecordRunAsync(ICheckpointRepository repository, string cardId, bool completed)
    {
        var manager = new CheckpointManager(cardId, repository);
        await manager.ResumeOrCreateAsync(Stages.Length);
        foreach (var stage in Stages)
        {
            await manager.SetCurrentStageAsync(stage);
            await manager.GetOrAddLlmResponseAsync(stage, new LlmRequest { Prompt = $"prompt {stage}" }, _ => Task.FromResult(new LlmResponse($"prompt {stage}", $"answer {stage}")));
            await manager.SaveStageCheckpointAsync(stage, StageStatus.Completed);
        }

        if (completed)
        {
            await manager.MarkCompletedAsync();
        }

        // Disposing compacts: readers that must see a document plus journal keep the manager open (ReadCommandTests).
        await manager.DisposeAsync();
        return true;
    }
}
