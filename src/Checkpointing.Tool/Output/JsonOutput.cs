using System.Text.Json;

namespace Checkpointing.Tool.Output;

/// <summary>
/// The <c>--json</c> output of <c>list</c>, <c>show</c> and <c>verify</c>: one indented JSON object on stdout, in the
/// shapes the README documents. Field names are snake_case; times are ISO 8601; durations are seconds.
/// </summary>
internal static class JsonOutput
{
    public static void WriteList(string store, int matching, IReadOnlyList<CardSummary> cards, IReadOnlyList<(string CardId, string Error)> unreadable) =>
        Write(writer =>
        {
            writer.WriteString("store", store);
            writer.WriteNumber("matching", matching);
            writer.WriteStartArray("cards");
            foreach (var card in cards)
            {
                var c = card.Checkpoint;
                writer.WriteStartObject();
                writer.WriteString("card_id", c.CardId);
                writer.WriteString("status", Formats.Status(c.Status));
                writer.WriteNumber("version", c.Version);
                writer.WriteNumber("stages_completed", card.Completed);
                writer.WriteNumber("total_stages", card.Total);
                WriteNullable(writer, "current_stage", c.CurrentStage);
                WriteStrings(writer, "failed_stages", c.FailedStages);
                writer.WriteString("created_at", c.CreatedAt);
                writer.WriteString("updated_at", c.UpdatedAt);
                writer.WriteNumber("resume_count", c.ResumeCount);
                WriteUsage(writer, "llm", card.Cost.Total);
                writer.WriteNumber("size_bytes", card.SizeBytes);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("unreadable");
            foreach (var (cardId, error) in unreadable)
            {
                writer.WriteStartObject();
                writer.WriteString("card_id", cardId);
                writer.WriteString("error", error);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });

    public static void WriteShow(PipelineCheckpoint c, DateTimeOffset now) =>
        Write(writer =>
        {
            var cost = CostReport.For(c);
            var summary = CardSummary.Of(c, 0);
            writer.WriteString("card_id", c.CardId);
            writer.WriteString("checkpoint_id", c.CheckpointId);
            writer.WriteString("status", Formats.Status(c.Status));
            writer.WriteNumber("version", c.Version);
            writer.WriteString("created_at", c.CreatedAt);
            writer.WriteString("updated_at", c.UpdatedAt);
            writer.WriteNumber("wall_seconds", ShowView.WallTime(c, now).TotalSeconds);
            writer.WriteNumber("stage_seconds", c.TotalDuration.TotalSeconds);
            writer.WriteNumber("eta_seconds", c.Status == CheckpointStatus.Completed ? 0 : c.EstimatedRemaining.TotalSeconds);
            writer.WriteNumber("resume_count", c.ResumeCount);
            WriteNullable(writer, "failure_reason", ShowView.FailureReason(c));
            WriteNullable(writer, "current_stage", c.CurrentStage);
            writer.WriteNumber("stages_completed", summary.Completed);
            writer.WriteNumber("total_stages", summary.Total);
            WriteUsage(writer, "llm", cost.Total);
            WriteUsage(writer, "saved_by_cache", cost.SavedByCache);
            writer.WriteStartArray("stages");
            foreach (var stageCost in cost.Stages)
            {
                c.StageCheckpoints.TryGetValue(stageCost.StageName, out var stage);
                writer.WriteStartObject();
                writer.WriteString("name", stageCost.StageName);
                writer.WriteString("status", stage is null ? "pending" : Formats.Status(stage.Status));
                if (stage is null)
                {
                    writer.WriteNull("start_time");
                    writer.WriteNull("end_time");
                }
                else
                {
                    writer.WriteString("start_time", stage.StartTime);
                    if (stage.EndTime is { } end)
                    {
                        writer.WriteString("end_time", end);
                    }
                    else
                    {
                        writer.WriteNull("end_time");
                    }
                }

                writer.WriteNumber("duration_seconds", stage?.Duration.TotalSeconds ?? 0);
                writer.WriteNumber("retry_count", stage?.RetryCount ?? 0);
                WriteUsage(writer, "llm", stageCost.Usage);
                WriteUsage(writer, "saved_by_cache", stageCost.SavedByCache);
                WriteNullable(writer, "error", stage?.ErrorMessage);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });

    public static void WriteVerify(string store, IReadOnlyList<string> cards, IReadOnlyList<CheckpointFinding> findings) =>
        Write(writer =>
        {
            writer.WriteString("store", store);
            writer.WriteBoolean("damaged", findings.Any(f => f.IsDamage));
            WriteStrings(writer, "cards", cards);
            writer.WriteStartArray("findings");
            foreach (var finding in findings)
            {
                writer.WriteStartObject();
                writer.WriteString("kind", JsonNamingPolicy.SnakeCaseLower.ConvertName(finding.Kind.ToString()));
                writer.WriteBoolean("damage", finding.IsDamage);
                WriteNullable(writer, "card_id", finding.CardId);
                writer.WriteString("path", finding.Path);
                if (finding.Offset is { } offset)
                {
                    writer.WriteNumber("offset", offset);
                }
                else
                {
                    writer.WriteNull("offset");
                }

                writer.WriteString("message", finding.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });

    private static void WriteUsage(Utf8JsonWriter writer, string name, LlmUsageTotals usage)
    {
        writer.WriteStartObject(name);
        writer.WriteNumber("calls", usage.Calls);
        writer.WriteNumber("prompt_tokens", usage.PromptTokens);
        writer.WriteNumber("completion_tokens", usage.CompletionTokens);
        writer.WriteStartObject("cost");
        foreach (var (currency, amount) in usage.CostByCurrency)
        {
            writer.WriteNumber(currency, amount);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void Write(Action<Utf8JsonWriter> body)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }
}
