using System.Buffers;
using System.Text;
using Checkpointing.FileStore;

namespace Checkpointing.Tests.Support;

/// <summary>A checkpoint document in the Python manager's layout, built from raw JSON fragments so tests can damage any of them.</summary>
public static class PythonStyleCard
{
    /// <summary>One completed stage record, as raw JSON.</summary>
    public static string Stage(string name, string prompt = "\"a prompt\"", string response = "\"an answer\"", string metadata = "{}", string extra = "") =>
        $$"""{"stage_name":"{{name}}","status":"completed","start_time":"2026-04-01T12:00:00","end_time":null,"duration_seconds":1.5,"result":null,"artifacts":[],"llm_responses":[{"prompt":{{prompt}},"response":{{response}}}],"error_message":null,"retry_count":0,"metadata":{{metadata}}{{extra}}}""";

    /// <summary>A whole document for <see cref="DamagedCard.CardId"/> with the given stage records (name to raw record).</summary>
    public static string Document(IEnumerable<(string Name, string Record)> stages, string extra = "", string status = "active")
    {
        var records = string.Join(",", stages.Select(s => $"\"{s.Name}\":{s.Record}"));
        var names = string.Join(",", stages.Select(s => $"\"{s.Name}\""));
        return $$"""{"checkpoint_id":"checkpoint-CARD-1","card_id":"{{DamagedCard.CardId}}","status":"{{status}}","created_at":"2026-04-01T12:00:00","updated_at":"2026-04-01T12:00:00","completed_stages":[{{names}}],"failed_stages":[],"skipped_stages":[],"current_stage":null,"stage_checkpoints":{{{records}}},"execution_context":{},"total_stages":9,"stages_completed":0,"total_duration_seconds":0,"estimated_remaining_seconds":0,"resume_count":0,"last_resume_time":null,"metadata":{}{{extra}}}""";
    }

    /// <summary>A document with one stage.</summary>
    public static string Document(string stageRecord, string extra = "") => Document([("s", stageRecord)], extra);

    /// <summary>Writes a document as the card's snapshot (no journal) and returns the directory.</summary>
    public static string Write(string directory, string document) => Write(directory, Encoding.UTF8.GetBytes(document));

    /// <summary>Writes raw bytes as the card's snapshot (no journal) and returns the directory.</summary>
    public static string Write(string directory, byte[] document)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, DamagedCard.CardId + ".json"), document);
        return directory;
    }

    /// <summary>Frames a payload as a journal record with valid checksums (a forged record).</summary>
    public static byte[] Record(byte[] payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JournalFormat.Reserve(buffer);
        buffer.Write(payload);
        return JournalFormat.Seal(buffer).ToArray();
    }
}
