using System.Text.Json;
using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tool.Tests;

/// <summary>list, show and export read without ownership and show the merged state: snapshot plus journal.</summary>
public sealed class ReadCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task List_PythonFixtures_OneRowPerCardWithStatusProgressAndCost()
    {
        Fixtures.CopyTo(_dir.Path);

        var result = await ToolProcess.RunAsync("list", "--store", ("file:" + _dir.Path), "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        var cards = result.Json().GetProperty("cards").EnumerateArray().ToDictionary(c => c.GetProperty("card_id").GetString()!);
        cards.Keys.Should().BeEquivalentTo(Fixtures.CardIds);
        cards["card-failed"].GetProperty("status").GetString().Should().Be("failed");
        cards["card-failed"].GetProperty("failed_stages").EnumerateArray().Select(s => s.GetString()).Should().Equal("development");
        cards["card-completed"].GetProperty("stages_completed").GetInt32().Should().Be(8);
        cards["card-active-midrun"].GetProperty("current_stage").GetString().Should().Be("code_review");
        cards["card-active-midrun"].GetProperty("stages_completed").GetInt32().Should().Be(3);
        cards["card-completed"].GetProperty("llm").GetProperty("cost").GetProperty("USD").GetDecimal().Should().BePositive();
        cards["card-fresh"].GetProperty("size_bytes").GetInt64().Should().Be(new FileInfo(_dir.Combine("card-fresh.json")).Length);
    }

    [Fact]
    public async Task List_PlainText_HasATableAndFilters()
    {
        Fixtures.CopyTo(_dir.Path);

        var all = await ToolProcess.RunAsync("list", "--store", ("file:" + _dir.Path));
        var failed = await ToolProcess.RunAsync("list", "--store", ("file:" + _dir.Path), "--status", "failed", "--status", "completed", "--sort", "id");
        var page = await ToolProcess.RunAsync("list", "--store", ("file:" + _dir.Path), "--sort", "id", "--limit", "2", "--page", "2", "--json");

        all.ExitCode.Should().Be(0, all.ToString());
        all.Stdout.Should().Contain("| card").And.Contain("[####------] 3/8").And.Contain("cards 1-5 of 5").And.NotContain("\u001b[", "redirected output is plain text");
        failed.Stdout.Should().Contain("card-failed").And.Contain("card-completed").And.NotContain("card-fresh");
        failed.Stdout.IndexOf("card-completed", StringComparison.Ordinal).Should().BeLessThan(failed.Stdout.IndexOf("card-failed", StringComparison.Ordinal));
        page.Json().GetProperty("matching").GetInt32().Should().Be(5);
        page.Json().GetProperty("cards").EnumerateArray().Select(c => c.GetProperty("card_id").GetString()).Should().Equal("card-failed", "card-fresh");
    }

    [Fact]
    public async Task List_CardWithJournal_ShowsMergedStateNotTheLaggingSnapshot()
    {
        var repository = new FileSystemCheckpointRepository(_dir.Path);
        var manager = new CheckpointManager("merged", repository);
        await manager.ResumeOrCreateAsync(totalStages: 3);
        await manager.SaveStageCheckpointAsync("one", StageStatus.Completed);
        await manager.SaveStageCheckpointAsync("two", StageStatus.Completed);
        using (var snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(_dir.Combine("merged.json"))))
        {
            snapshot.RootElement.GetProperty("completed_stages").GetArrayLength().Should().Be(0, "the document lags behind its journal while the run goes on");
        }

        var list = await ToolProcess.RunAsync("list", "--store", ("file:" + _dir.Path), "--json");
        var show = await ToolProcess.RunAsync("show", "merged", "--store", ("file:" + _dir.Path), "--json");

        var card = list.Json().GetProperty("cards")[0];
        card.GetProperty("stages_completed").GetInt32().Should().Be(2);
        card.GetProperty("version").GetInt64().Should().Be(manager.Checkpoint!.Version);
        show.Json().GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()).Should().Equal("one", "two");
        await manager.DisposeAsync();
    }

    [Fact]
    public async Task Show_PlainText_HasHeaderStageTableAndDurationChart()
    {
        Fixtures.CopyTo(_dir.Path);

        var result = await ToolProcess.RunAsync("show", "card-failed", "--store", ("file:" + _dir.Path));

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain("status         failed")
            .And.Contain("failure        stage development failed after 3 retries")
            .And.Contain("| development  | failed")
            .And.Contain("Traceback")
            .And.Contain("stage durations (seconds)")
            .And.Contain("development  ######################################## 44.0");
    }

    [Fact]
    public async Task Show_Json_HasTheDocumentedShape()
    {
        Fixtures.CopyTo(_dir.Path);

        var json = (await ToolProcess.RunAsync("show", "card-resumed", "--store", ("file:" + _dir.Path), "--json")).Json();

        foreach (var field in new[] { "card_id", "checkpoint_id", "status", "version", "created_at", "updated_at", "wall_seconds", "stage_seconds", "eta_seconds", "resume_count", "failure_reason", "current_stage", "stages_completed", "total_stages", "llm", "saved_by_cache", "stages" })
        {
            json.TryGetProperty(field, out _).Should().BeTrue($"show --json documents '{field}'");
        }

        json.GetProperty("resume_count").GetInt32().Should().Be(1);
        var stage = json.GetProperty("stages")[0];
        foreach (var field in new[] { "name", "status", "start_time", "end_time", "duration_seconds", "retry_count", "llm", "saved_by_cache", "error" })
        {
            stage.TryGetProperty(field, out _).Should().BeTrue($"a stage of show --json documents '{field}'");
        }
    }

    [Theory]
    [MemberData(nameof(FixtureIds))]
    public async Task Export_PythonFixture_IsTheLibrarysDocumentOfTheMergedRun(string cardId)
    {
        Fixtures.CopyTo(_dir.Path);
        var loaded = await new FileSystemCheckpointRepository(_dir.Path).LoadAsync(cardId);

        var stdout = await ToolProcess.RunAsync("export", cardId, "--store", ("file:" + _dir.Path));
        var file = await ToolProcess.RunAsync("export", cardId, "--store", ("file:" + _dir.Path), "--output", _dir.Combine("out.json"));

        stdout.ExitCode.Should().Be(0, stdout.ToString());
        file.ExitCode.Should().Be(0, file.ToString());
        var expected = System.Text.Encoding.UTF8.GetString(CheckpointJson.SerializeCheckpoint(loaded!, indented: true));
        stdout.Stdout.Should().Be(expected + "\n");
        (await File.ReadAllTextAsync(_dir.Combine("out.json"))).Should().Be(expected);
        CheckpointJson.DeserializeCheckpoint(await File.ReadAllBytesAsync(_dir.Combine("out.json")), "export").CardId.Should().Be(cardId);
    }

    [Fact]
    public async Task Show_MissingCard_ExitsOneWithOneLineSayingWhatToDo()
    {
        var result = await ToolProcess.RunAsync("show", "nope", "--store", ("file:" + _dir.Path));

        result.ExitCode.Should().Be(1);
        result.Stdout.Should().BeEmpty();
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("'nope' has no checkpoint").And.Contain("Check the card id")
            .And.NotContain("nothing was changed", "show only reads");
    }

    [Fact]
    public async Task Show_CompletedRunHasNoCurrentStage_AndAnUnestimableEtaIsADash()
    {
        Fixtures.CopyTo(_dir.Path);
        var repository = new FileSystemCheckpointRepository(_dir.Path);
        await using (var manager = new CheckpointManager("no-durations", repository))
        {
            await manager.ResumeOrCreateAsync(totalStages: 3);
            await manager.SetCurrentStageAsync("first");
        }

        var completed = await ToolProcess.RunAsync("show", "card-completed", "--store", ("file:" + _dir.Path));
        var unfinished = await ToolProcess.RunAsync("show", "no-durations", "--store", ("file:" + _dir.Path));
        var list = await ToolProcess.RunAsync("list", "--store", ("file:" + _dir.Path), "--status", "completed");

        completed.Stdout.Should().MatchRegex(@"current stage +- ").And.MatchRegex(@"eta +- ");
        unfinished.ExitCode.Should().Be(0, unfinished.ToString());
        unfinished.Stdout.Should().MatchRegex(@"current stage +first ").And.MatchRegex(@"eta +- ", "no stage recorded a duration to estimate from");
        list.Stdout.Should().MatchRegex(@"\| card-completed +\| completed +\| [^|]+\| - +\|", "a completed run's last stage is not current");
    }

    public static TheoryData<string> FixtureIds() => [.. Fixtures.CardIds];
}
