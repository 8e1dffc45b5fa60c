using System.Text.Json;
using N = Checkpointing.Json.CheckpointJsonNames;

namespace Checkpointing.Json;

/// <summary>Reads one journal record payload back into the <see cref="CheckpointChange"/> it records.</summary>
internal static class ChangeJsonReader
{
    /// <summary>Reads a change.</summary>
    public static CheckpointChange Read(ReadOnlyMemory<byte> payload, in JsonReadContext context)
    {
        var document = JsonFields.Parse(payload, context, change: true, out var texts);
        try
        {
            return Read(document.RootElement, context with { Texts = texts });
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
        // Stryker disable once Block,Statement,String : defensive: every string is checked decodable before this is read
        {
            // Stryker disable once Statement,String : the same defensive throw
            throw context.Unreadable("record", ex);
        }
        finally
        // Stryker disable once Block,Statement : returns pooled memory only
        {
            // Stryker disable once Statement : returns pooled memory only
            document.Dispose();
            // Stryker disable once Statement : returns pooled memory only
            texts?.Dispose();
        }
    }

    private static CheckpointChange Read(JsonElement root, in JsonReadContext context)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw context.WrongType("record", "an object", root);
        }

        var version = JsonFields.GetVersion(Required(root, N.ChangeVersion, context), N.ChangeVersion, context);
        var timestamp = JsonFields.GetTimestamp(Required(root, N.ChangeTimestamp, context), N.ChangeTimestamp, context);
        var type = JsonFields.GetString(Required(root, N.ChangeType, context), N.ChangeType, context);
        return type switch
        {
            "stage" => new StageRecorded(
                version, timestamp, CheckpointJsonReader.ReadStage(Required(root, N.ChangeStage, context), N.ChangeStage, context)),
            "llm_response" => new LlmResponseCached(
                version,
                timestamp,
                JsonFields.GetStageName(Required(root, N.StageName, context), N.StageName, context),
                CheckpointJsonReader.ReadResponse(Required(root, N.Response, context), N.Response, context)),
            "current_stage" => new CurrentStageSet(
                version, timestamp, JsonFields.GetStageName(Required(root, N.StageName, context), N.StageName, context)),
            "status" => new StatusChanged(
                version,
                timestamp,
                CheckpointJsonReader.ParseCheckpointStatus(
                    JsonFields.GetString(Required(root, N.Status, context), N.Status, context), N.Status, context),
                root.TryGetProperty(N.ChangeReason, out var reason)
                    ? JsonFields.GetNullableString(reason, N.ChangeReason, context)
                    : null),
            "resumed" => new CheckpointResumed(version, timestamp),
            _ => throw context.Corrupt(N.ChangeType, $"unknown change type '{type}'"),
        };
    }

    private static JsonElement Required(JsonElement root, string name, in JsonReadContext context) =>
        root.TryGetProperty(name, out var value) ? value : throw context.Corrupt(name, "required field is missing");
}
