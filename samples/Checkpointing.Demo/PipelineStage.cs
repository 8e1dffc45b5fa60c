namespace Checkpointing.Demo;

/// <summary>One stage of the demo pipeline and the prompts it sends (<c>{card}</c> is replaced by the card id).</summary>
internal sealed record PipelineStage(string Name, IReadOnlyList<string> Prompts)
{
    public IEnumerable<string> PromptsFor(string cardId) => Prompts.Select(prompt => prompt.Replace("{card}", cardId, StringComparison.Ordinal));
}
