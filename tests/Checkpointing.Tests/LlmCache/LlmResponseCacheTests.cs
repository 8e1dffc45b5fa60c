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
