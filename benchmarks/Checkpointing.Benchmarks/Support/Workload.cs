using System.Globalization;
using System.Text;

namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// The synthetic pipeline every benchmark runs: stages of ten LLM responses of about 6 KB each (a 2 KB prompt and a
/// 4 KB answer of English-like text with line breaks and quotes, so JSON escaping costs what it costs in real runs).
/// The text is generated from a seed, so two runs write the same bytes.
/// </summary>
internal static class Workload
{
    /// <summary>The card every benchmark writes.</summary>
    public const string CardId = "BENCH-1";

    /// <summary>The model named in every response.</summary>
    public const string Model = "bench-model";

    /// <summary>LLM responses recorded with each stage.</summary>
    public const int ResponsesPerStage = 10;

    /// <summary>Characters (and UTF-8 bytes: the text is ASCII) of each prompt.</summary>
    public const int PromptChars = 2 * 1024;

    /// <summary>Characters (and UTF-8 bytes) of each answer.</summary>
    public const int AnswerChars = 4 * 1024;

    private static readonly string[] Words =
    [
        "the", "stage", "returns", "a", "summary", "of", "card", "with", "three", "findings", "and", "one", "risk",
        "model", "checkpoint", "pipeline", "resume", "response", "should", "because", "latency", "budget", "token",
        "review", "diff", "function", "error", "retry", "output", "schema", "field", "value", "is", "not", "valid",
    ];

    /// <summary>The name of stage <paramref name="stage"/> (1-based).</summary>
    public static string StageName(int stage) => string.Create(CultureInfo.InvariantCulture, $"stage-{stage:D5}");

    /// <summary>The responses of stage <paramref name="stage"/>: distinct prompts, one model.</summary>
    public static LlmResponse[] StageResponses(int stage)
    {
        var responses = new LlmResponse[ResponsesPerStage];
        for (var call = 0; call < responses.Length; call++)
        {
            responses[call] = Response(stage, call);
        }

        return responses;
    }

    /// <summary>Response <paramref name="call"/> of stage <paramref name="stage"/>.</summary>
    public static LlmResponse Response(int stage, int call)
    {
        var seed = (stage * 1009) + call;
        var prompt = Text(string.Create(CultureInfo.InvariantCulture, $"Stage {stage}, call {call}. Review:\n"), PromptChars, seed);
        var answer = Text("Answer:\n", AnswerChars, ~seed);
        return new LlmResponse(prompt, answer) { Model = Model };
    }

    /// <summary>A prompt of exactly <paramref name="chars"/> ASCII characters that starts with <paramref name="prefix"/>.</summary>
    public static string Text(string prefix, int chars, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(chars + 32).Append(prefix);
        while (text.Length < chars)
        {
            var word = Words[random.Next(Words.Length)];
            switch (random.Next(24))
            {
                case 0: text.Append('\n'); break;
                case 1: text.Append(" \"").Append(word).Append('"'); continue;
                case 2: text.Append(". "); break;
                default: text.Append(' '); break;
            }

            text.Append(word);
        }

        return text.ToString(0, chars);
    }
}
