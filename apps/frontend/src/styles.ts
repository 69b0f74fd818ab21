// Mantine's styles for the components this app uses, not the whole library (styles.css is
// 300 kB, 37 kB gzipped, and render-blocking: it cost ~0.6 s of first paint on simulated mobile).
// Order matters: base styles first, then each component after the ones it builds on
// (UnstyledButton before Button, Input before the inputs, Combobox/Popover before Select).
// A component added to the app needs its line here; the e2e screenshots show a missing one.
import "@mantine/core/styles/baseline.css";
import "@mantine/core/styles/default-css-variables.css";
import "@mantine/core/styles/global.css";
import "@mantine/core/styles/VisuallyHidden.css";
import "@mantine/core/styles/UnstyledButton.css";
import "@mantine/core/styles/Paper.css";
import "@mantine/core/styles/Popover.css";
import "@mantine/core/styles/CloseButton.css";
import "@mantine/core/styles/Group.css";
import "@mantine/core/styles/Stack.css";
import "@mantine/core/styles/Center.css";
import "@mantine/core/styles/Container.css";
import "@mantine/core/styles/SimpleGrid.css";
import "@mantine/core/styles/Text.css";
import "@mantine/core/styles/Title.css";
import "@mantine/core/styles/Anchor.css";
import "@mantine/core/styles/Loader.css";
import "@mantine/core/styles/ActionIcon.css";
import "@mantine/core/styles/Button.css";
import "@mantine/core/styles/Badge.css";
import "@mantine/core/styles/Code.css";
import "@mantine/core/styles/Burger.css";
import "@mantine/core/styles/Alert.css";
import "@mantine/core/styles/Card.css";
import "@mantine/core/styles/Divider.css";
import "@mantine/core/styles/Table.css";
import "@mantine/core/styles/Progress.css";
import "@mantine/core/styles/Timeline.css";
import "@mantine/core/styles/List.css";
import "@mantine/core/styles/ScrollArea.css";
import "@mantine/core/styles/Input.css";
import "@mantine/core/styles/InlineInput.css";
import "@mantine/core/styles/Checkbox.css";
import "@mantine/core/styles/Radio.css";
import "@mantine/core/styles/Rating.css";
import "@mantine/core/styles/PasswordInput.css";
import "@mantine/core/styles/NumberInput.css";
import "@mantine/core/styles/Combobox.css";
import "@mantine/core/styles/Pill.css";
import "@mantine/core/styles/PillsInput.css";
import "@mantine/core/styles/FloatingIndicator.css";
import "@mantine/core/styles/SegmentedControl.css";
import "@mantine/core/styles/NavLink.css";
import "@mantine/core/styles/AppShell.css";
