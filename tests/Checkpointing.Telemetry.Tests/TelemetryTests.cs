using System.Diagnostics;
using FluentAssertions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;

// The library's ActivitySource and Meter are process-wide: tests that count what they report must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Checkpointing.Telemetry.Tests;

public sealed class TelemetryTests : IDisposable
{
    private readonly List<Activity> _spans = [];
    private readonly List<Metric> _metrics = [];
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _meters;
    private readonly InMemoryCheckpointRepository _store = new();

    public TelemetryTests()
    {
        _tracing = Sdk.CreateTracerProviderBuilder().AddSource(CheckpointingTelemetry.ActivitySourceName).AddInMemoryExporter(_spans).Build();
        _meters = Sdk.CreateMeterProviderBuilder().AddMeter(CheckpointingTelemetry.MeterName).AddInMemoryExporter(_metrics).Build();
    }

    public void Dispose()
    {
        _tracing.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task RunStageAsync_EachOutcome_HasASpanWithCardStageOutcomeAndRetries()
    {
        await using (var manager = await OpenAsync())
        {
            await manager.RunStageAsync("plan", (_, _) => Task.FromResult("p"));
            var failing = () => manager.RunStageAsync<int>("build", (_, _) => throw new InvalidOperationException("boom"));
            await failing.Should().ThrowAsync<InvalidOperationException>();
        }

        await using (var manager = await OpenAsync())
        {
            await manager.RunStageAsync("plan", (_, _) => Task.FromResult("p"));
            await manager.RunStageAsync("build", (_, _) => Task.FromResult(1));
            await manager.RunStageAsync("docs", (_, _) => Task.FromResult(2), new StageOptions { Skip = _ => true });
        }

        _tracing.ForceFlush();
        var stages = _spans.Where(s => s.OperationName.StartsWith("checkpointing.stage", StringComparison.Ordinal))
            .Select(s => (Stage: Tag(s, CheckpointingTelemetry.TagStage), Outcome: Tag(s, CheckpointingTelemetry.TagStageOutcome), Retries: Tag(s, CheckpointingTelemetry.TagRetryCount)))
            .ToList();
        stages.Should().Equal(
            ("plan", "ran", "0"), ("build", "failed", "0"), ("plan", "reused", null), ("build", "ran", "1"), ("docs", "skipped", null));
        _spans.Should().OnlyContain(s => Tag(s, CheckpointingTelemetry.TagCardId) == "CARD-OTEL");
        _spans.Single(s => Tag(s, CheckpointingTelemetry.TagStageOutcome) == "failed").Status.Should().Be(ActivityStatusCode.Error);
    }

    [Fact]
    public async Task MemoizedLlmCall_MissThenHit_HasSpansWithGenAiAttributesAndFeedsTheCounters()
    {
        var request = LlmRequest.ForPrompt("design it", model: "gpt-4o");
        var failedOnce = false;
        async Task<string> StageAsync(StageContext stage, CancellationToken token)
        {
            var answer = await stage.GetOrAddLlmResponseAsync(request, _ => Task.FromResult(new LlmResponse(request.PromptText, "the design")
            {
                Usage = new LlmUsage(PromptTokens: 800, CompletionTokens: 200, Cost: 0.01m, Currency: "USD"),
                FinishReason = "stop",
            }), token);
            if (!failedOnce)
            {
                failedOnce = true;
                throw new InvalidOperationException("fail after the paid call, so the rerun hits the cache");
            }

            return answer.Response;
        }

        await using (var manager = await OpenAsync())
        {
            var first = () => manager.RunStageAsync("design", StageAsync);
            await first.Should().ThrowAsync<InvalidOperationException>();
        }

        await using (var manager = await OpenAsync())
        {
            await manager.RunStageAsync("design", StageAsync);
        }

        _tracing.ForceFlush();
        _meters.ForceFlush();
        var calls = _spans.Where(s => s.OperationName.StartsWith("checkpointing.llm_call", StringComparison.Ordinal)).ToList();
        calls.Select(s => Tag(s, CheckpointingTelemetry.TagCacheOutcome)).Should().Equal("miss", "hit");
        calls.Should().OnlyContain(s => Tag(s, "gen_ai.request.model") == "gpt-4o");
        (Tag(calls[0], "gen_ai.usage.input_tokens"), Tag(calls[0], "gen_ai.usage.output_tokens")).Should().Be(("800", "200"), "the miss spent them");
        (Tag(calls[1], "gen_ai.usage.input_tokens"), Tag(calls[1], "gen_ai.usage.output_tokens")).Should().Be(((string?)null, (string?)null), "a hit spends no tokens; the saved-tokens counter has them");
        calls.Should().OnlyContain(s => s.Parent != null && s.Parent.OperationName == "checkpointing.stage design", "a call is a child of its stage");

        SumByTag("checkpointing.llm.requests", CheckpointingTelemetry.TagCacheOutcome).Should().BeEquivalentTo(new Dictionary<string, double> { ["miss"] = 1, ["hit"] = 1 });
        Sum("checkpointing.llm.tokens_saved").Should().Be(1000);
        SumByTag("checkpointing.llm.cost_saved", CheckpointingTelemetry.TagCurrency).Should().BeEquivalentTo(new Dictionary<string, double> { ["USD"] = 0.01 });
    }

    [Fact]
    public async Task Instruments_StageStoreAndResumeDurations_AreRecordedWithUnitsAndDescriptions()
    {
        await using (var manager = await OpenAsync())
        {
            await manager.RunStageAsync("plan", (_, _) => Task.FromResult("p"));
        }

        await using (var manager = await OpenAsync())
        {
            await manager.RunStageAsync("plan", (_, _) => Task.FromResult("p"));
        }

        _meters.ForceFlush();
        CountByTag("checkpointing.stage.duration", CheckpointingTelemetry.TagStageOutcome).Should().BeEquivalentTo(new Dictionary<string, long> { ["ran"] = 1, ["reused"] = 1 });
        CountByTag("checkpointing.store.write.duration", CheckpointingTelemetry.TagChangeType).Should().BeEquivalentTo(
            new Dictionary<string, long> { ["created"] = 1, ["current_stage_set"] = 1, ["stage_recorded"] = 1, ["resumed"] = 1 });
        CountByTag("checkpointing.resume.duration", null).Should().BeEquivalentTo(new Dictionary<string, long> { [""] = 1 });
        foreach (var name in new[] { "checkpointing.stage.duration", "checkpointing.store.write.duration", "checkpointing.resume.duration" })
        {
            var metric = Latest(name);
            metric.Unit.Should().Be("s");
            metric.Description.Should().NotBeNullOrWhiteSpace();
            metric.MetricType.Should().Be(MetricType.Histogram);
        }

        BucketBounds("checkpointing.stage.duration").Should().Contain([1, 60, 3600], "stage durations are seconds to hours, not the SDK's millisecond defaults");
        BucketBounds("checkpointing.store.write.duration").Should().Contain([0.001, 0.01, 0.1]);
    }

    private async Task<CheckpointManager> OpenAsync()
    {
        var manager = new CheckpointManager("CARD-OTEL", _store);
        await manager.ResumeOrCreateAsync(totalStages: 3);
        return manager;
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name) switch
    {
        null => null,
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        var value => value.ToString(),
    };

    private List<double> BucketBounds(string name)
    {
        var bounds = new List<double>();
        foreach (ref readonly var point in Latest(name).GetMetricPoints())
        {
            foreach (var bucket in point.GetHistogramBuckets())
            {
                bounds.Add(bucket.ExplicitBound);
            }

            break;
        }

        return bounds;
    }

    private Metric Latest(string name) => _metrics.Last(m => m.Name == name);

    private double Sum(string name) => SumByTag(name, null).Values.Sum();

    private Dictionary<string, double> SumByTag(string name, string? tag) =>
        Points(name, tag, static (in MetricPoint point, MetricType type) =>
            type.IsDouble() ? point.GetSumDouble() : point.GetSumLong());

    private Dictionary<string, long> CountByTag(string name, string? tag) =>
        Points(name, tag, static (in MetricPoint point, MetricType _) => point.GetHistogramCount())
            .ToDictionary(p => p.Key, p => (long)p.Value);

    private delegate double PointValue(in MetricPoint point, MetricType type);

    private Dictionary<string, double> Points(string name, string? tag, PointValue value)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        var metric = Latest(name);
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var key = string.Empty;
            foreach (var pair in point.Tags)
            {
                if (pair.Key == tag)
                {
                    key = pair.Value?.ToString() ?? string.Empty;
                }
            }

            result[key] = result.GetValueOrDefault(key) + value(point, metric.MetricType);
        }

        return result;
    }
}
