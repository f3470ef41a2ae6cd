#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsDevice, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsDevice' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has one parameter set per action, each action mandatory in its set' {
        $command = Get-Command -Name Set-AmsDevice -Module AccessManager
        ($command.ParameterSets.Name | Sort-Object) -join ',' | Should -BeExactly 'Approve,DirectoryExpirePassword,Disable,Enable,ExpirePassword,Reject'
        foreach ($action in 'Approve', 'Reject', 'Enable', 'Disable', 'ExpirePassword') {
            (Get-AmsParameterSet Set-AmsDevice $action $action).IsMandatory | Should -BeTrue
        }
        (Get-AmsParameterSet Set-AmsDevice Force Reject) | Should -Not -BeNullOrEmpty
        (Get-AmsParameterSet Set-AmsDevice Force Approve) | Should -BeNullOrEmpty
        (Get-AmsParameterSet Set-AmsDevice Id Approve).ValueFromPipelineByPropertyName | Should -BeTrue
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
    }

    It 'approves a device and returns it' {
        $device = Set-AmsDevice -Id 'd-1' -Approve
        (Get-AmsStubCall).Line | Should -BeExactly 'device set --id d-1 --approve'
        $device.PSTypeNames[0] | Should -BeExactly 'Ams.Device'
    }

    It 'passes <Switch> as <Flag>' -TestCases @(
        @{ Switch = 'Enable'; Flag = '--enable' }
        @{ Switch = 'Disable'; Flag = '--disable' }
        @{ Switch = 'ExpirePassword'; Flag = '--expire-password' }
    ) {
        $splat = @{ Id = 'd-1'; $Switch = $true }
        $null = Set-AmsDevice @splat
        (Get-AmsStubCall).Line | Should -BeExactly "device set --id d-1 $Flag"
    }

    It 'rejects with --force once -Force skips the prompt' {
        $null = Set-AmsDevice -Id 'd-1' -Reject -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'device set --id d-1 --reject --force'
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsDevice -Id 'd-1' -Reject -Force -WhatIf
        Set-AmsDevice -Id 'd-1' -Approve -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'expires a directory computer''s LAPS password by name' {
        (Get-AmsParameterSet Set-AmsDevice ComputerName DirectoryExpirePassword).IsMandatory | Should -BeTrue
        (Get-AmsParameterSet Set-AmsDevice ExpirePassword DirectoryExpirePassword).IsMandatory | Should -BeTrue
        $result = Set-AmsDevice -ComputerName 'PC7' -ExpirePassword
        (Get-AmsStubCall).Line | Should -BeExactly 'device set --computer-name PC7 --expire-password'
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.DirectoryPasswordExpiry'
        Set-AmsDevice -ComputerName 'PC7' -ExpirePassword -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 1
    }

    It 'needs an action' {
        { Set-AmsDevice -Id 'd-1' -ErrorAction Stop } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'approves piped devices in one batch' {
        $devices = @(Get-AmsDevice)
        Reset-AmsStubLog
        $result = @($devices | Set-AmsDevice -Approve)
        $result.Count | Should -Be 2
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'batch'
        ($call.StdinLines[1] | ConvertFrom-Json).parameters.Approve | Should -BeTrue
    }
}
