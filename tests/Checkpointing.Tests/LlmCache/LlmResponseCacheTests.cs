using Checkpointing.LlmCache;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.LlmCache;

public sealed class LlmResponseCacheTests
{
    private readonly LlmResponseCache _cache = new();

    [Fact]
    public void Find_WithoutModel_ReturnsLatestWhateverItsModel()
    {
        _cache.Add("plan", Stages.Response("p", "from gpt", "gpt-4o"));
        _cache.Add("plan", Stages.Response("p", "from claude", "claude"));

        _cache.Find("plan", "p", null)!.Response.Should().Be("from claude");
    }

    [Fact]
    public void Find_WithModel_ReturnsOnlyThatModelsResponse()
    {
        _cache.Add("plan", Stages.Response("p", "from gpt", "gpt-4o"));
        _cache.Add("plan", Stages.Response("p", "from claude", "claude"));

        _cache.Find("plan", "p", "gpt-4o")!.Response.Should().Be("from gpt");
        _cache.Find("plan", "p", "llama").Should().BeNull();
    }

    [Fact]
    public void Find_WithModel_MissesAResponseWithoutModel()
    {
        _cache.Add("plan", Stages.Response("p", "anonymous", model: null));

        _cache.Find("plan", "p", "gpt-4o").Should().BeNull();
        _cache.Find("plan", "p", null).Should().NotBeNull();
    }

    [Fact]
    public void Find_IsKeyedByStage()
    {
        _cache.Add("plan", Stages.Response("p"));

        _cache.Find("build", "p", null).Should().BeNull();
    }

    [Fact]
    public void Find_PromptsDifferingInOneCharacter_DoNotCollide()
    {
        _cache.Add("plan", Stages.Response("prompt-a", "A"));

        _cache.Find("plan", "prompt-b", null).Should().BeNull();
    }

    [Fact]
    public void Rebuild_IndexesStageRecordsThenPendingResponses()
    {
        var at = DateTimeOffset.UnixEpoch;
        var checkpoint = Stages.Checkpoint();
        checkpoint = new StageRecorded(2, at, Stages.Stage("plan") with { LlmResponses = [Stages.Response("p", "recorded")] }).ApplyTo(checkpoint);
        checkpoint = new LlmResponseCached(3, at, "plan", Stages.Response("p", "write-ahead")).ApplyTo(checkpoint);
        checkpoint = new LlmResponseCached(4, at, "build", Stages.Response("q", "pending only")).ApplyTo(checkpoint);

        _cache.Rebuild(checkpoint);

        _cache.Find("plan", "p", null)!.Response.Should().Be("write-ahead");
        _cache.Find("build", "q", null)!.Response.Should().Be("pending only");
        _cache.Count.Should().Be(2);
    }

    [Fact]
    public void Rebuild_IndexesAStageOnlyWhenItIsFirstUsed()
    {
        var at = DateTimeOffset.UnixEpoch;
        var checkpoint = Stages.Checkpoint();
        checkpoint = new StageRecorded(2, at, Stages.Stage("plan") with { LlmResponses = [Stages.Response("p", "plan answer")] }).ApplyTo(checkpoint);
        checkpoint = new StageRecorded(3, at, Stages.Stage("build") with { LlmResponses = [Stages.Response("p", "build answer")] }).ApplyTo(checkpoint);

        _cache.Rebuild(checkpoint);
        _cache.IndexedStageCount.Should().Be(0);

        _cache.Find("build", "p", null)!.Response.Should().Be("build answer");
        _cache.IndexedStageCount.Should().Be(1);
        _cache.Find("plan", "p", null)!.Response.Should().Be("plan answer");
        _cache.IndexedStageCount.Should().Be(2);
    }

    [Fact]
    public void Add_AfterRebuild_IsLaterThanTheStageStoredResponses()
    {
        var at = DateTimeOffset.UnixEpoch;
        var checkpoint = Stages.Checkpoint();
        checkpoint = new StageRecorded(2, at, Stages.Stage("plan") with { LlmResponses = [Stages.Response("p", "recorded", "gpt-4o")] }).ApplyTo(checkpoint);
        checkpoint = new LlmResponseCached(3, at, "plan", Stages.Response("p", "write-ahead", "claude")).ApplyTo(checkpoint);
        _cache.Rebuild(checkpoint);

        _cache.Add("plan", Stages.Response("p", "added", "gpt-4o"));

        _cache.Find("plan", "p", null)!.Response.Should().Be("added");
        _cache.Find("plan", "p", "gpt-4o")!.Response.Should().Be("added");
        _cache.Find("plan", "p", "claude")!.Response.Should().Be("write-ahead");
    }

    [Fact]
    public void FindByRequest_AfterRebuild_FindsAStoredRequestKey()
    {
        var at = DateTimeOffset.UnixEpoch;
        var stored = Stages.Response("p", "by request") with { RequestKey = "key-1" };
        var checkpoint = new LlmResponseCached(2, at, "plan", stored).ApplyTo(Stages.Checkpoint());
        _cache.Rebuild(checkpoint);

        _cache.FindByRequest("plan", "key-1")!.Response.Should().Be("by request");
        _cache.FindByRequest("build", "key-1").Should().BeNull();
    }

    [Fact]
    public void Rebuild_WithNull_ForgetsEverything()
    {
        _cache.Rebuild(new LlmResponseCached(2, DateTimeOffset.UnixEpoch, "plan", Stages.Response("p")).ApplyTo(Stages.Checkpoint()));
        _cache.Add("build", Stages.Response("q"));

        _cache.Rebuild(null);

        _cache.Find("plan", "p", null).Should().BeNull();
        _cache.Find("build", "q", null).Should().BeNull();
        _cache.Count.Should().Be(0);
    }

    [Fact]
    public void CountStored_CountsRecordedAndWriteAheadResponses()
    {
        var at = DateTimeOffset.UnixEpoch;
        var checkpoint = Stages.Checkpoint();
        checkpoint = new StageRecorded(2, at, Stages.Stage("plan") with { LlmResponses = [Stages.Response("p"), Stages.Response("p")] }).ApplyTo(checkpoint);
        checkpoint = new LlmResponseCached(3, at, "build", Stages.Response("q")).ApplyTo(checkpoint);

        LlmResponseCache.CountStored(checkpoint).Should().Be(3);
    }

    [Fact]
    public void Find_AfterWarmUp_AllocatesNothing()
    {
        var prompt = new string('p', 2048);
        _cache.Add("plan", Stages.Response(prompt));
        _cache.Find("plan", prompt, "gpt-4o");

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            _cache.Find("plan", prompt, "gpt-4o");
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }
}
